// cnexport web page: search a product, see its dashboard, markets, and a
// country's trend and history. Plain DOM, no framework, no external requests.
'use strict';
(() => {
const I18N = {
  zh: {
    title: '中国出口统计',
    searchLabel: '搜索商品：HS 编码或名称',
    intro: '输入 HS 编码（如 8517）或商品名称（如 手机），查看该商品的出口概况、市场分布与各国走势。金额单位：人民币元。',
    regions: '地区分布（近12个月）',
    blocs: '贸易集团（可重叠）',
    chart24: '近24个月出口额（全球）',
    close: '关闭',
    trend12: '近12个月走势',
    history24: '近24个月明细',
    month: '月份',
    amount: '金额',
    yoyMonth: '同比',
    markets: '出口市场',
    marketsHint: '点击国家查看走势与明细；点击表头排序。',
    country: '国家/地区',
    continent: '大洲',
    recent12: '近12个月',
    share: '占比',
    monthlyAvg: '月均',
    cagr: '三年复合增长',
    loading: '加载中…',
    footer: '数据来源：中国海关出口统计。金额单位：人民币元。',
    langButton: 'EN',
    langAria: 'Switch to English',
    recent12Total: '近12个月出口额',
    prev12Total: '前12个月出口额',
    yoy: '同比增长（12个月）',
    mom: '环比增长（当月）',
    activeCountries: '出口国家/地区数',
    activityMonths: '有出口的月份',
    top3: '前三市场集中度',
    avgActive: '国家平均活跃月数',
    quantity: '数量（近12个月）',
    momentum: '动量得分',
    bestRegion: '最大地区',
    lowBase: '低基数',
    lowBaseTip: '基数很小，增长率仅供参考',
    noBase: '基数为 0，无增长率',
    asOf: '数据截至 {m} · 金额单位：人民币元',
    noResults: '未找到匹配的商品',
    results: '{n} 个结果，按 ↑↓ 选择，回车打开',
    searching: '搜索中…',
    error: '出错了',
    networkError: '无法连接服务器，请稍后重试',
    group: '{n}位编码合计',
    total24: '24个月合计',
    avgMonth: '月均',
    maxMonth: '最高月份',
    minMonth: '最低月份',
    activeMonths: '有出口的月份',
    yearTotal: '{y}年合计',
    chartAria: '{name}：{from} 至 {to} 每月出口额折线图，最高 {max}，最新 {last}',
    recentWindow: '近12个月',
    prevWindow: '前12个月',
    countryOf: '{country} · {code}',
    noMarkets: '近12个月没有出口市场',
    marketsCaption: '{name} 的出口市场，共 {n} 个',
    historyCaption: '{country} 近24个月每月出口额',
    openCountry: '查看 {country} 的走势与明细',
  },
  en: {
    title: 'China Export Statistics',
    searchLabel: 'Search a product: HS code or name',
    intro: 'Type an HS code (e.g. 8517) or a product name (e.g. phone) to see its exports, its markets and the trend to each country. Amounts in yuan (CNY).',
    regions: 'Regions (last 12 months)',
    blocs: 'Trade blocs (may overlap)',
    chart24: 'Exports, last 24 months (world)',
    close: 'Close',
    trend12: 'Last 12 months',
    history24: 'Last 24 months',
    month: 'Month',
    amount: 'Amount',
    yoyMonth: 'YoY',
    markets: 'Markets',
    marketsHint: 'Click a country for its trend and history; click a header to sort.',
    country: 'Country/region',
    continent: 'Continent',
    recent12: 'Last 12 months',
    share: 'Share',
    monthlyAvg: 'Monthly avg',
    cagr: '3-year CAGR',
    loading: 'Loading…',
    footer: 'Source: China customs export statistics. Amounts in yuan (CNY).',
    langButton: '中文',
    langAria: '切换到中文',
    recent12Total: 'Exports, last 12 months',
    prev12Total: 'Exports, previous 12 months',
    yoy: 'Growth, year on year (12 months)',
    mom: 'Growth, month on month',
    activeCountries: 'Destination countries',
    activityMonths: 'Months with exports',
    top3: 'Top-3 market share',
    avgActive: 'Avg active months per country',
    quantity: 'Quantity (last 12 months)',
    momentum: 'Momentum score',
    bestRegion: 'Largest region',
    lowBase: 'low base',
    lowBaseTip: 'The base is very small: read this growth rate with care',
    noBase: 'no rate: the base is 0',
    asOf: 'Data up to {m} · amounts in yuan (CNY)',
    noResults: 'No matching product',
    results: '{n} results: ↑↓ to choose, Enter to open',
    searching: 'Searching…',
    error: 'Error',
    networkError: 'Cannot reach the server, try again later',
    group: '{n}-digit group',
    total24: '24-month total',
    avgMonth: 'Monthly average',
    maxMonth: 'Highest month',
    minMonth: 'Lowest month',
    activeMonths: 'Months with exports',
    yearTotal: 'Total {y}',
    chartAria: '{name}: monthly exports {from} to {to}, highest {max}, latest {last}',
    recentWindow: 'Last 12 months',
    prevWindow: 'Previous 12 months',
    countryOf: '{country} · {code}',
    noMarkets: 'No market in the last 12 months',
    marketsCaption: 'Markets of {name}, {n} in all',
    historyCaption: 'Monthly exports to {country}, last 24 months',
    openCountry: 'Open the trend and history of {country}',
  }
};
// Region and bloc keys of the API, with their names.
const REGIONS = ['asia', 'europe', 'africa', 'northAmerica', 'southAmerica', 'oceania'];
const BLOCS = ['middleEast', 'beltRoad', 'asean', 'eu', 'usmca'];
const AREA_NAMES = {
  asia: ['亚洲', 'Asia'], europe: ['欧洲', 'Europe'], africa: ['非洲', 'Africa'],
  northAmerica: ['北美洲', 'North America'], southAmerica: ['拉丁美洲', 'Latin America'],
  oceania: ['大洋洲', 'Oceania'], middleEast: ['中东', 'Middle East'], beltRoad: ['一带一路', 'Belt and Road'],
  asean: ['东盟', 'ASEAN'], eu: ['欧盟', 'EU'], usmca: ['美墨加', 'USMCA'],
};
// Chinese continent and bloc names of the markets answer, in English.
const ZH_EN = {
  亚洲: 'Asia', 欧洲: 'Europe', 非洲: 'Africa', 北美洲: 'North America', 拉丁美洲: 'Latin America',
  大洋洲: 'Oceania', 中东: 'Middle East', 一带一路: 'Belt and Road', 东盟: 'ASEAN', 欧盟: 'EU', 美墨加: 'USMCA',
};
// Units of quantity, in English.
const UNIT_EN = {
  千克: 'kg', 克: 'g', 吨: 't', 台: 'units', 个: 'pcs', 件: 'pcs', 只: 'pcs', 套: 'sets', 双: 'pairs',
  条: 'pcs', 张: 'sheets', 根: 'pcs', 块: 'pcs', 片: 'pcs', 副: 'pairs', 米: 'm', 平方米: 'm²',
  立方米: 'm³', 升: 'L', 千升: 'kL', 千瓦时: 'kWh', 辆: 'vehicles', 艘: 'vessels', 架: 'aircraft',
  头: 'head', 克拉: 'ct', 千个: 'thousand pcs', 百万个: 'million pcs', 千块: 'thousand pcs',
};
const SVG_NS = 'http://www.w3.org/2000/svg';
const LANG_KEY = 'cnexport.lang';

const S = {
  lang: 'zh', hs: null, c: null, seq: 0, cseq: 0,
  dash: null, series: null, markets: null, marketsError: null, seriesError: null,
  trend: null, history: null, countryError: null,
  sort: { key: 'recent12mTotal', dir: 'desc' },
  results: [], active: -1, searchCtl: null, timer: 0,
};
try { S.lang = localStorage.getItem(LANG_KEY) === 'en' ? 'en' : 'zh'; } catch (_) { /* private mode */ }

const $ = (id) => document.getElementById(id);
const zh = () => S.lang === 'zh';
// A country's name in the page's language (the API sends countryNameEn beside the Chinese).
const cname = (r) => (!zh() && r && r.countryNameEn) || (r && r.countryName);
function t(key, vars) {
  let s = (I18N[S.lang] && I18N[S.lang][key]) || I18N.zh[key] || key;
  if (vars) for (const k of Object.keys(vars)) s = s.split('{' + k + '}').join(vars[k]);
  return s;
}
function h(tag, props, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v == null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of kids.flat()) if (c != null && c !== false) e.append(c);
  return e;
}
function sv(tag, attrs, text) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text != null) e.textContent = text;
  return e;
}

// ---- formatting -------------------------------------------------------
const locale = () => (zh() ? 'zh-CN' : 'en-US');
function num(v, digits) {
  return Number(v).toLocaleString(locale(), { minimumFractionDigits: digits || 0, maximumFractionDigits: digits || 0 });
}
// A yuan amount for reading: 亿/万 in Chinese, bn/m in English; small amounts in full.
function money(v) {
  if (v == null) return '—';
  const a = Math.abs(v);
  if (zh()) {
    if (a >= 1e8) return num(v / 1e8, 2) + ' 亿元';
    if (a >= 1e4) return num(v / 1e4, 2) + ' 万元';
    return num(v) + ' 元';
  }
  if (a >= 1e9) return 'CNY ' + num(v / 1e9, 2) + ' bn';
  if (a >= 1e6) return 'CNY ' + num(v / 1e6, 2) + ' m';
  return 'CNY ' + num(v);
}
const fullMoney = (v) => (v == null ? '—' : zh() ? num(v) + ' 元' : 'CNY ' + num(v));
// Axis labels: short.
function axisMoney(v) {
  const a = Math.abs(v);
  const trim = (x) => String(+x.toFixed(2));
  if (zh()) return a >= 1e8 ? trim(v / 1e8) + '亿' : a >= 1e4 ? trim(v / 1e4) + '万' : trim(v);
  return a >= 1e9 ? trim(v / 1e9) + 'bn' : a >= 1e6 ? trim(v / 1e6) + 'm' : a >= 1e3 ? trim(v / 1e3) + 'k' : trim(v);
}
const fmtMonth = (m) => (m ? m.slice(0, 4) + '-' + m.slice(4, 6) : '—');
function growth(v, low) {
  if (v == null) return h('span', { title: t('noBase') }, '—');
  const cls = v > 0 ? 'up' : v < 0 ? 'down' : '';
  const arrow = v > 0 ? '▲ ' : v < 0 ? '▼ ' : '';
  return h('span', { class: cls }, arrow + (v > 0 ? '+' : '') + num(v, 2) + '%',
    low ? h('span', { class: 'flag', title: t('lowBaseTip') }, t('lowBase')) : null);
}
const pct = (v) => (v == null ? '—' : num(v, 2) + '%');
const areaName = (k) => (AREA_NAMES[k] ? AREA_NAMES[k][zh() ? 0 : 1] : k);
const zhEn = (s) => (zh() || !s ? s : ZH_EN[s] || s);
const unit = (u) => (zh() || !u ? u : UNIT_EN[u] || u);
function productLabel(p) {
  const name = zh() ? p.productName || p.productNameEn : p.productNameEn || p.productName;
  return name || (p.hsCode ? t('group', { n: p.hsCode.length }) : '');
}

// ---- API --------------------------------------------------------------
class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}
async function api(path, params, signal) {
  const url = path + '?' + new URLSearchParams(params).toString();
  let resp;
  try {
    resp = await fetch(url, { signal, headers: { Accept: 'application/json' } });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, t('networkError'));
  }
  let body = null;
  try { body = await resp.json(); } catch (_) { /* not JSON */ }
  if (!resp.ok || !body || body.code !== 200) {
    throw new ApiError(resp.status, (body && body.message) || 'HTTP ' + resp.status);
  }
  return body.data;
}
function errorText(e) {
  return t('error') + (e.status ? ' ' + e.status : '') + ': ' + e.message;
}
function showError(e) {
  const box = $('error');
  if (!e) { box.hidden = true; box.textContent = ''; return; }
  box.textContent = errorText(e);
  box.hidden = false;
}

// ---- hash state -------------------------------------------------------
function readHash() {
  const p = new URLSearchParams(location.hash.replace(/^#/, ''));
  return { hs: p.get('hs') || null, c: p.get('c') || null };
}
function hashFor(hs, c) {
  const p = new URLSearchParams();
  if (hs) p.set('hs', hs);
  if (c) p.set('c', c);
  return '#' + p.toString();
}
function go(hs, c) {
  const target = hashFor(hs, c);
  if (location.hash === target) route();
  else location.hash = target;
}

async function route() {
  const { hs, c } = readHash();
  if (!hs) {
    S.hs = null; S.dash = null;
    showError(null);
    for (const id of ['dashboard', 'markets', 'country']) $(id).hidden = true;
    $('intro').hidden = false;
    return;
  }
  $('intro').hidden = true;
  if (hs !== S.hs) {
    const ok = await loadProduct(hs);
    if (!ok) return;
  }
  if (c) await loadCountry(hs, c, true);
  else closeCountry();
}

// ---- product ----------------------------------------------------------
async function loadProduct(hs) {
  const seq = ++S.seq;
  S.hs = hs; S.c = null;
  $('loading').hidden = false;
  showError(null);
  const [d, m, s, f] = await Promise.allSettled([
    api('/skill/dashboard', { hsCode: hs }),
    api('/skill/markets', { hsCode: hs, limit: 1000 }),
    api('/skill/series', { hsCode: hs }),
    api('/skill/search', { q: hs, limit: 5 }), // for the English name
  ]);
  if (seq !== S.seq) return false;
  $('loading').hidden = true;
  if (d.status === 'rejected') {
    S.hs = null; S.dash = null;
    for (const id of ['dashboard', 'markets', 'country']) $(id).hidden = true;
    showError(d.reason);
    return false;
  }
  S.dash = d.value;
  const found = f.status === 'fulfilled' && (f.value || []).find((p) => p.hsCode === S.dash.hsCode);
  if (found && S.dash.productNameEn === undefined) S.dash.productNameEn = found.productNameEn;
  S.markets = m.status === 'fulfilled' ? m.value : null;
  S.marketsError = m.status === 'rejected' ? m.reason : null;
  S.series = s.status === 'fulfilled' ? s.value : null;
  S.seriesError = s.status === 'rejected' ? s.reason : null;
  document.title = S.dash.hsCode + ' ' + productLabel(S.dash) + ' · ' + t('title');
  renderDashboard();
  renderMarkets();
  if (!S.results.length) $('q').value = S.dash.hsCode + ' ' + productLabel(S.dash); // unless a list is open
  return true;
}

function figure(key, label, value, small, raw) {
  return h('div', { 'data-key': key, 'data-value': raw == null ? '' : String(raw) },
    h('dt', { text: label }), h('dd', null, value, small ? h('small', { text: small }) : null));
}

function renderDashboard() {
  const d = S.dash;
  if (!d) return;
  $('dashboard').hidden = false;
  const title = $('product-title');
  title.replaceChildren(h('span', { class: 'code-tag', text: d.hsCode }), productLabel(d));
  $('product-sub').textContent = t('asOf', { m: fmtMonth(d.currentMonth) });
  const figs = [
    figure('recent12mGlobalTotal', t('recent12Total'), money(d.recent12mGlobalTotal), fullMoney(d.recent12mGlobalTotal), d.recent12mGlobalTotal),
    figure('prev12mGlobalTotal', t('prev12Total'), money(d.prev12mGlobalTotal), fullMoney(d.prev12mGlobalTotal), d.prev12mGlobalTotal),
    figure('yoyGrowthRate', t('yoy'), growth(d.yoyGrowthRate, d.lowBase), d.yoyGrowthRate == null ? t('noBase') : null, d.yoyGrowthRate),
    figure('momGrowthRate', t('mom'), growth(d.momGrowthRate, d.momLowBase), d.momGrowthRate == null ? t('noBase') : null, d.momGrowthRate),
    figure('activeCountriesCount', t('activeCountries'), num(d.activeCountriesCount), null, d.activeCountriesCount),
    figure('monthlyActivityCount', t('activityMonths'), num(d.monthlyActivityCount) + ' / 12', null, d.monthlyActivityCount),
    figure('top3ConcentrationPercent', t('top3'), pct(d.top3ConcentrationPercent), null, d.top3ConcentrationPercent),
    figure('avgCountryActiveMonths', t('avgActive'), d.avgCountryActiveMonths == null ? '—' : num(d.avgCountryActiveMonths, 1), null, d.avgCountryActiveMonths),
  ];
  for (const [q, u] of [['firstQuantity', 'firstUnit'], ['secondQuantity', 'secondUnit']]) {
    if (d[q] != null && d[u]) figs.push(figure(q, t('quantity'), num(d[q]) + ' ' + unit(d[u]), null, d[q]));
  }
  if (typeof d.momentumScore === 'number') {
    figs.push(figure('momentumScore', t('momentum'), num(d.momentumScore, 2), '−100 … 100', d.momentumScore));
  }
  if (d.bestRegion && d.bestRegion.regionName) {
    figs.push(figure('bestRegion', t('bestRegion'), areaName(d.bestRegion.regionName), pct(d.bestRegion.percent), d.bestRegion.regionName));
  }
  $('figures').replaceChildren(...figs);
  renderBars($('regions'), REGIONS, d.regionBreakdown || {});
  renderBars($('blocs'), BLOCS, d.tradeBlocBreakdown || {});
  renderSeries();
}

function renderBars(box, keys, data) {
  const rows = keys.map((k) => ({ k, total: data[k + 'Total'] || 0, p: data[k + 'Percent'] || 0 }))
    .sort((a, b) => b.total - a.total || keys.indexOf(a.k) - keys.indexOf(b.k));
  box.replaceChildren(...rows.map((r) => {
    const fill = h('span', { class: 'fill' });
    fill.style.width = Math.max(0, Math.min(100, r.p)) + '%';
    fill.style.minWidth = r.p > 0 ? '2px' : '0';
    return h('div', { class: 'bar', 'data-key': r.k, title: areaName(r.k) + ': ' + fullMoney(r.total) },
      h('span', { class: 'lbl', text: areaName(r.k) }),
      h('span', { class: 'track', role: 'meter', 'aria-valuemin': '0', 'aria-valuemax': '100',
        'aria-valuenow': String(r.p), 'aria-label': areaName(r.k) + ' ' + pct(r.p) + ', ' + money(r.total) }, fill),
      h('span', { class: 'pct', text: pct(r.p) }));
  }));
}

function renderSeries() {
  const box = $('chart');
  if (S.seriesError) { box.replaceChildren(h('p', { class: 'error', text: errorText(S.seriesError) })); return; }
  if (!S.series) { box.replaceChildren(); return; }
  lineChart(box, S.series.monthlyData, { name: productLabel(S.dash), split: 12 });
}

// ---- charts -----------------------------------------------------------
function niceStep(x) {
  if (!(x > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(x)));
  const f = x / p;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * p;
}
// A line chart of [{month, amount}] (oldest first) as inline SVG, sized to its box.
function lineChart(box, data, opts) {
  box.replaceChildren();
  const W = Math.max(280, Math.round(box.clientWidth || 600));
  const H = W < 520 ? 190 : 240;
  const max = Math.max(0, ...data.map((p) => p.amount));
  const step = niceStep(max / 4);
  const top = Math.max(step, Math.ceil(max / step) * step);
  const ticks = [];
  for (let v = 0; v <= top + step / 2; v += step) ticks.push(v);
  const L = 12 + 7 * Math.max(...ticks.map((v) => axisMoney(v).length));
  const R = 18, T = 14, B = 26;
  const pw = W - L - R, ph = H - T - B;
  const n = data.length;
  const x = (i) => L + (n <= 1 ? pw / 2 : (i * pw) / (n - 1));
  const y = (v) => T + ph - (v / top) * ph;
  const last = data[n - 1] || { amount: 0, month: '' };
  const maxP = data.reduce((a, p) => (p.amount > a.amount ? p : a), data[0] || last);
  const svg = sv('svg', {
    viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img',
    'aria-label': t('chartAria', { name: opts.name, from: fmtMonth(data[0] && data[0].month), to: fmtMonth(last.month), max: money(maxP.amount), last: money(last.amount) }),
  });
  if (opts.split && n > opts.split) {
    const xs = (x(opts.split - 1) + x(opts.split)) / 2;
    svg.append(sv('rect', { x: xs, y: T, width: L + pw - xs, height: ph, fill: '#1a73e80a' }));
    svg.append(sv('line', { class: 'axis', x1: xs, x2: xs, y1: T, y2: T + ph, 'stroke-dasharray': '3 3' }));
    svg.append(sv('text', { x: xs - 4, y: T + 10, 'text-anchor': 'end', class: 'legend' }, t('prevWindow')));
    svg.append(sv('text', { x: xs + 4, y: T + 10, class: 'legend' }, t('recentWindow')));
  }
  for (const v of ticks) {
    svg.append(sv('line', { class: v ? 'grid' : 'axis', x1: L, x2: L + pw, y1: y(v), y2: y(v) }));
    svg.append(sv('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end' }, axisMoney(v)));
  }
  const every = Math.max(1, Math.ceil((n * 46) / pw));
  data.forEach((p, i) => {
    if ((n - 1 - i) % every === 0) {
      svg.append(sv('text', { x: x(i), y: H - 8, 'text-anchor': 'middle' }, p.month.slice(2, 4) + '-' + p.month.slice(4, 6)));
    }
  });
  if (n) {
    const pts = data.map((p, i) => `${x(i).toFixed(1)},${y(p.amount).toFixed(1)}`);
    svg.append(sv('path', { class: 'area', d: `M${x(0).toFixed(1)},${y(0)} L${pts.join(' L')} L${x(n - 1).toFixed(1)},${y(0)} Z` }));
    svg.append(sv('path', { class: 'line', d: 'M' + pts.join(' L') }));
    data.forEach((p, i) => {
      const c = sv('circle', { class: 'dot', cx: x(i).toFixed(1), cy: y(p.amount).toFixed(1), r: n > 18 ? 2.5 : 3.5 });
      c.append(sv('title', null, fmtMonth(p.month) + ': ' + fullMoney(p.amount)));
      svg.append(c);
    });
  }
  box.append(svg);
  box.dataset.points = String(n);
  if (!n) return;
  // A readout of one month under the chart: the latest at first, then the
  // one under the pointer or finger, or chosen with ← → on the focused chart.
  const mark = sv('circle', { class: 'mark', r: 5 });
  const guide = sv('line', { class: 'axis', y1: T, y2: T + ph });
  svg.append(guide, mark);
  const readout = h('p', { class: 'readout', 'aria-live': 'polite' });
  box.append(readout);
  let cur = n - 1;
  const select = (i) => {
    cur = Math.max(0, Math.min(n - 1, i));
    const p = data[cur];
    const prev = cur >= 12 ? data[cur - 12] : null;
    mark.setAttribute('cx', x(cur).toFixed(1));
    mark.setAttribute('cy', y(p.amount).toFixed(1));
    guide.setAttribute('x1', x(cur).toFixed(1));
    guide.setAttribute('x2', x(cur).toFixed(1));
    readout.replaceChildren(h('b', { text: fmtMonth(p.month) }), ' ' + money(p.amount) + ' ',
      h('small', { text: fullMoney(p.amount) }));
    if (prev) {
      readout.append(h('span', null, ' · ' + t('yoyMonth') + ' ',
        growth(prev.amount > 0 ? Math.round((p.amount / prev.amount - 1) * 10000) / 100 : null)));
    }
  };
  const at = (e) => {
    const r = svg.getBoundingClientRect();
    const px = ((e.clientX - r.left) * W) / r.width;
    select(n <= 1 ? 0 : Math.round(((px - L) * (n - 1)) / pw));
  };
  svg.addEventListener('pointermove', at);
  svg.addEventListener('pointerdown', at);
  svg.setAttribute('tabindex', '0');
  svg.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') { select(cur + (e.key === 'ArrowLeft' ? -1 : 1)); e.preventDefault(); }
  });
  select(n - 1);
}

// ---- markets ----------------------------------------------------------
const collator = () => new Intl.Collator('zh-CN-u-co-pinyin');
function sortedMarkets() {
  const { key, dir } = S.sort;
  const total = (S.dash && S.dash.recent12mGlobalTotal) || 0;
  const rows = (S.markets || []).map((r) => ({ ...r, share: total ? (r.recent12mTotal / total) * 100 : null }));
  const sign = dir === 'asc' ? 1 : -1;
  const col = collator();
  rows.sort((a, b) => {
    const va = a[key], vb = b[key];
    if (va == null && vb == null) return a.countryCode < b.countryCode ? -1 : 1;
    if (va == null) return 1; // missing values last, whatever the order
    if (vb == null) return -1;
    const c = typeof va === 'string' ? col.compare(va, vb) : va - vb;
    return c * sign || (a.countryCode < b.countryCode ? -1 : 1);
  });
  return rows;
}
function renderMarkets() {
  const sec = $('markets');
  sec.hidden = !S.dash;
  if (!S.dash) return;
  const tbody = $('markets-table').tBodies[0];
  for (const th of $('markets-table').tHead.rows[0].cells) {
    if (th.dataset.key === S.sort.key) th.setAttribute('aria-sort', S.sort.dir === 'asc' ? 'ascending' : 'descending');
    else th.removeAttribute('aria-sort');
  }
  if (S.marketsError) {
    tbody.replaceChildren(h('tr', null, h('td', { colspan: '6', class: 'error', text: errorText(S.marketsError) })));
    return;
  }
  const rows = sortedMarkets();
  $('markets-caption').textContent = t('marketsCaption', { name: productLabel(S.dash), n: rows.length });
  if (!rows.length) {
    tbody.replaceChildren(h('tr', null, h('td', { colspan: '6', text: t('noMarkets') })));
    return;
  }
  tbody.replaceChildren(...rows.map((r) => h('tr', { 'data-code': r.countryCode, class: r.countryCode === S.c ? 'current' : null },
    h('td', null,
      h('a', { href: hashFor(S.hs, r.countryCode), title: t('openCountry', { country: cname(r) }), text: cname(r) }),
      h('span', { class: 'cc', text: r.countryCode }),
      r.tradeTags && r.tradeTags.length ? h('span', { class: 'tags', text: r.tradeTags.map(zhEn).join(' · ') }) : null),
    h('td', { class: 'hide-s', text: zhEn(r.continent) || '—' }),
    h('td', { class: 'num', title: fullMoney(r.recent12mTotal), 'data-value': String(r.recent12mTotal), text: money(r.recent12mTotal) }),
    h('td', { class: 'num', text: pct(r.share == null ? null : Math.round(r.share * 100) / 100) }),
    h('td', { class: 'num hide-s', text: money(Math.round(r.monthlyAvg)) }),
    h('td', { class: 'num' }, growth(r.threeYearCAGR)))));
}
function onSort(key) {
  if (S.sort.key === key) S.sort.dir = S.sort.dir === 'asc' ? 'desc' : 'asc';
  else S.sort = { key, dir: key === 'countryName' || key === 'continent' ? 'asc' : 'desc' };
  renderMarkets();
}

// ---- country ----------------------------------------------------------
async function loadCountry(hs, c, scroll) {
  const seq = ++S.cseq;
  S.c = c;
  highlightRow();
  const [tr, hi] = await Promise.allSettled([
    api('/skill/trend', { hsCode: hs, countryCode: c }),
    api('/skill/history', { hsCode: hs, countryCode: c }),
  ]);
  if (seq !== S.cseq) return;
  S.trend = tr.status === 'fulfilled' ? tr.value : null;
  S.history = hi.status === 'fulfilled' ? hi.value : null;
  S.countryError = tr.status === 'rejected' ? tr.reason : hi.status === 'rejected' ? hi.reason : null;
  renderCountry();
  const panel = $('country');
  if (scroll) {
    panel.scrollIntoView({ block: 'start' });
    panel.focus({ preventScroll: true });
  }
}
function highlightRow() {
  for (const tr of $('markets-table').tBodies[0].rows) tr.classList.toggle('current', tr.dataset.code === S.c);
}
function closeCountry() {
  S.c = null; S.trend = null; S.history = null; S.countryError = null; S.cseq++;
  $('country').hidden = true;
  highlightRow();
}
function renderCountry() {
  const panel = $('country');
  if (!S.c) { panel.hidden = true; return; }
  panel.hidden = false;
  $('country-close').setAttribute('href', hashFor(S.hs, null));
  const name = (S.trend && cname(S.trend)) || (S.history && cname(S.history)) ||
    cname((S.markets || []).find((m) => m.countryCode === S.c)) || S.c;
  $('country-title').textContent = t('countryOf', { country: name, code: S.c }) + ' — ' + S.hs + ' ' + (S.dash ? productLabel(S.dash) : '');
  const chart = $('trend-chart');
  const stats = $('history-stats');
  const tbody = $('history-table').tBodies[0];
  if (S.countryError) {
    chart.replaceChildren(h('p', { class: 'error', role: 'alert', text: errorText(S.countryError) }));
    stats.replaceChildren();
    tbody.replaceChildren();
    return;
  }
  lineChart(chart, S.trend.monthlyData, { name });
  const hi = S.history;
  const ss = hi.summaryStats || {};
  const figs = [
    figure('total24MonthAmount', t('total24'), money(ss.total24MonthAmount), fullMoney(ss.total24MonthAmount), ss.total24MonthAmount),
    figure('monthlyAvg', t('avgMonth'), money(ss.monthlyAvg == null ? null : Math.round(ss.monthlyAvg)), null, ss.monthlyAvg),
    figure('maxMonth', t('maxMonth'), ss.maxMonth ? money(ss.maxMonth.amount) : '—', ss.maxMonth ? fmtMonth(ss.maxMonth.month) : null, ss.maxMonth && ss.maxMonth.amount),
    figure('minMonth', t('minMonth'), ss.minMonth ? money(ss.minMonth.amount) : '—', ss.minMonth ? fmtMonth(ss.minMonth.month) : null, ss.minMonth && ss.minMonth.amount),
    figure('activeMonthsCount', t('activeMonths'), num(ss.activeMonthsCount || 0) + ' / 24', null, ss.activeMonthsCount),
  ];
  for (const y of hi.yearlySummary || []) {
    figs.push(figure('year' + y.year, t('yearTotal', { y: y.year }), money(y.totalAmount), fullMoney(y.totalAmount), y.totalAmount));
  }
  stats.replaceChildren(...figs);
  $('history-caption').textContent = t('historyCaption', { country: name });
  const detail = hi.monthlyDetail || [];
  tbody.replaceChildren(...detail.map((p, i) => {
    const before = detail[i + 12];
    const g = before && before.amount > 0 ? Math.round((p.amount / before.amount - 1) * 10000) / 100 : null;
    return h('tr', { 'data-month': p.month },
      h('td', { text: fmtMonth(p.month) }),
      h('td', { class: 'num', title: fullMoney(p.amount), text: money(p.amount) }),
      h('td', { class: 'num' }, before ? growth(g) : '—'));
  }));
}

// ---- search -----------------------------------------------------------
function setResults(list) {
  S.results = list; S.active = list.length ? 0 : -1;
  renderResults();
}
function renderResults() {
  const ul = $('results');
  const q = $('q');
  if (!S.results.length) {
    ul.hidden = true; ul.replaceChildren();
    q.setAttribute('aria-expanded', 'false'); q.removeAttribute('aria-activedescendant');
    return;
  }
  ul.replaceChildren(...S.results.map((p, i) => {
    const other = zh() ? p.productNameEn : p.productName;
    return h('li', { id: 'opt-' + i, role: 'option', 'aria-selected': String(i === S.active), 'data-code': p.hsCode,
      onmousedown: (e) => { e.preventDefault(); choose(i); } },
      h('span', { class: 'code', text: p.hsCode }),
      h('span', { class: 'name', text: productLabel(p) }),
      h('span', { class: 'amt', text: p.recent12mGlobalTotal == null ? '' : money(p.recent12mGlobalTotal) }),
      other && other !== productLabel(p) ? h('span', { class: 'en', text: other }) : null);
  }));
  ul.hidden = false;
  q.setAttribute('aria-expanded', 'true');
  if (S.active >= 0) {
    q.setAttribute('aria-activedescendant', 'opt-' + S.active);
    const li = $('opt-' + S.active);
    if (li) li.scrollIntoView({ block: 'nearest' });
  }
}
function choose(i) {
  const p = S.results[i];
  if (!p) return;
  clearTimeout(S.timer);
  if (S.searchCtl) S.searchCtl.abort();
  $('q').value = p.hsCode + ' ' + productLabel(p);
  setResults([]);
  $('search-status').textContent = '';
  go(p.hsCode, null);
}
async function search(q) {
  if (S.searchCtl) S.searchCtl.abort();
  if (!q) { setResults([]); $('search-status').textContent = ''; return; }
  const ctl = new AbortController();
  S.searchCtl = ctl;
  $('search-status').textContent = t('searching');
  try {
    const list = await api('/skill/search', { q, limit: 12 }, ctl.signal);
    if (ctl.signal.aborted) return;
    setResults(list || []);
    $('search-status').textContent = list && list.length ? t('results', { n: list.length }) : t('noResults');
  } catch (e) {
    if (e.name === 'AbortError') return;
    setResults([]);
    $('search-status').textContent = errorText(e);
  }
}
function onKey(e) {
  const n = S.results.length;
  if (e.key === 'ArrowDown' && n) { S.active = (S.active + 1) % n; renderResults(); e.preventDefault(); }
  else if (e.key === 'ArrowUp' && n) { S.active = (S.active - 1 + n) % n; renderResults(); e.preventDefault(); }
  else if (e.key === 'Escape') { setResults([]); }
  else if (e.key === 'Enter') {
    e.preventDefault();
    const q = e.target.value.trim();
    if (n && S.active >= 0) choose(S.active);
    else if (/^[0-9.]{2,11}$/.test(q)) { clearTimeout(S.timer); go(q.replace(/\./g, ''), null); }
  }
}

// ---- language ---------------------------------------------------------
function applyLang() {
  document.documentElement.lang = zh() ? 'zh-CN' : 'en';
  for (const e of document.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
  const b = $('lang');
  b.textContent = t('langButton');
  b.setAttribute('aria-label', t('langAria'));
  b.setAttribute('lang', zh() ? 'en' : 'zh-CN');
  document.title = S.dash ? S.dash.hsCode + ' ' + productLabel(S.dash) + ' · ' + t('title') : t('title');
  if (S.dash && !S.results.length) $('q').value = S.dash.hsCode + ' ' + productLabel(S.dash);
  if (S.dash) { renderDashboard(); renderMarkets(); }
  if (S.c && (S.trend || S.countryError)) renderCountry();
  if (S.results.length) renderResults();
}

// ---- start ------------------------------------------------------------
function init() {
  const q = $('q');
  q.addEventListener('input', () => {
    clearTimeout(S.timer);
    S.timer = setTimeout(() => search(q.value.trim()), 200);
  });
  q.addEventListener('keydown', onKey);
  q.addEventListener('blur', () => setTimeout(() => setResults([]), 150));
  $('lang').addEventListener('click', () => {
    S.lang = zh() ? 'en' : 'zh';
    try { localStorage.setItem(LANG_KEY, S.lang); } catch (_) { /* private mode */ }
    applyLang();
  });
  for (const th of $('markets-table').tHead.rows[0].cells) {
    th.querySelector('button').addEventListener('click', () => onSort(th.dataset.key));
  }
  let lastW = 0;
  window.addEventListener('resize', () => {
    clearTimeout(S.rt);
    S.rt = setTimeout(() => {
      if (window.innerWidth === lastW) return;
      lastW = window.innerWidth;
      if (S.series) renderSeries();
      if (S.trend && !S.countryError) lineChart($('trend-chart'), S.trend.monthlyData, { name: cname(S.trend) });
    }, 150);
  });
  window.addEventListener('hashchange', route);
  applyLang();
  route();
}
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
else init();
})();
