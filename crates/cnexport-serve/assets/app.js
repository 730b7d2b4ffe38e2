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
    season: '季节性：各月出口占比',
    noSeason: '不足一个完整的日历年，暂无季节性数据',
    seasonAria: '各月出口占比柱状图（{years}）：{list}；旺季 {peaks}',
    even: '均匀',
    peakMonths: '旺季月份',
    none: '无',
    yearsUsed: '所用年份',
    strength: '季节性强度',
    strengthTip: '旺季：占比不低于均匀值的 1.25 倍（10.42%）。季节性强度：要使全年均匀需挪动的出口份额（0 为全年均匀）。',
    peak: '旺季',
    growthTitle: '增长最快的市场',
    growthSum: '{n} 个市场参与排名（上年基数 ≥ {base}）· 基数过低未排名 {low} 个 · 新市场 {neu} 个',
    growthCaption: '{name} 按同比增长排序的市场',
    noGrowth: '没有符合基数条件的市场',
    change: '变化',
    showAll: '显示全部 {n} 个',
    showLess: '收起',
    bandTitle: '价格带：各市场单价',
    bandCaption: '{name} 各市场近12个月单价与价格带',
    unitPrice: '单价',
    band: '价格带',
    bandSum: '按{unit}计 · 中位数 {median}',
    bandRule: '高端：单价高于中位数的 1.2 倍；性价比：低于 0.8 倍；其余为中端。',
    noBand: '无价格带：{reason}',
    priceTrend: '每月单价（全部市场）',
    priceAria: '{name}：{from} 至 {to} 每月单价折线图，最高 {max}，最新 {last}',
    noPrice: '没有可计算单价的月份',
    chapterTitle: '第 {c} 章的品目结构（近12个月）',
    chapterSum: '全章 {total} · 同比 ',
    selfRank: ' · 本品目 {h} 排名第 {r} / {n}',
    heading: '品目 {h}',
    noChapter: '本章近12个月没有出口',
    headingAria: '{name}：占全章 {p}，{amount}，{codes} 个8位编码有出口',
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
    season: 'Seasonality: share of each month',
    noSeason: 'No complete calendar year yet: no seasonality',
    seasonAria: 'Share of each month ({years}): {list}; peak months {peaks}',
    even: 'even',
    peakMonths: 'Peak months',
    none: 'none',
    yearsUsed: 'Years used',
    strength: 'Seasonality strength',
    strengthTip: 'Peak: at least 1.25 × an even share (10.42%). Strength: the share of the exports that would have to move to make the year flat (0 = flat).',
    peak: 'peak',
    growthTitle: 'Fastest-growing markets',
    growthSum: '{n} markets ranked (base ≥ {base}) · {low} left out for a low base · {neu} new',
    growthCaption: 'Markets of {name} by growth',
    noGrowth: 'No market with a large enough base',
    change: 'Change',
    showAll: 'Show all {n}',
    showLess: 'Show fewer',
    bandTitle: 'Price bands: unit value by market',
    bandCaption: 'Unit values and price bands of {name} by market, last 12 months',
    unitPrice: 'Unit value',
    band: 'Band',
    bandSum: 'By {unit} · median {median}',
    bandRule: 'Premium: above 1.2 × the median; Value: below 0.8 × the median; Mid: in between.',
    noBand: 'No price band: {reason}',
    priceTrend: 'Monthly unit value (all markets)',
    priceAria: '{name}: unit value by month {from} to {to}, highest {max}, latest {last}',
    noPrice: 'No month with a unit value',
    chapterTitle: 'Chapter {c} by heading (last 12 months)',
    chapterSum: 'Chapter total {total} · YoY ',
    selfRank: ' · heading {h} ranks {r} of {n}',
    heading: 'Heading {h}',
    noChapter: 'No exports in this chapter in the last 12 months',
    headingAria: '{name}: {p} of the chapter, {amount}, {codes} 8-digit codes with exports',
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
  trend: null, history: null, countryError: null, cseason: null,
  growth: null, band: null, chapter: null, all: {},
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
// A YYYYMM month, as a string or a number (the dashboard's currentMonth is 202412).
const fmtMonth = (m) => (m || m === 0 ? String(m).slice(0, 4) + '-' + String(m).slice(4, 6) : '—');
const MONTHS_EN = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const monthName = (m) => (zh() ? m + '月' : MONTHS_EN[m - 1]);
const BAND_EN = { premium: 'Premium', mid: 'Mid', value: 'Value' };
// Yuan per unit, 2 decimals.
function price(v, u) {
  if (v == null) return '—';
  return (zh() ? num(v, 2) + ' 元' : 'CNY ' + num(v, 2)) + (u ? '/' + unit(u) : '');
}
function signedMoney(v) {
  if (v == null) return h('span', null, '—');
  return h('span', { class: v > 0 ? 'up' : v < 0 ? 'down' : '', title: fullMoney(v) },
    (v > 0 ? '+' : v < 0 ? '−' : '') + money(Math.abs(v)));
}
function badge(band, zhLabel) {
  return band ? h('span', { class: 'badge b-' + band, text: zh() ? zhLabel || band : BAND_EN[band] || band }) : null;
}
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
    for (const id of ['dashboard', 'markets', 'country', 'more', 'chapter']) $(id).hidden = true;
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
  const [d, m, s, f, g, b, c] = await Promise.allSettled([
    api('/skill/dashboard', { hsCode: hs }),
    api('/skill/markets', { hsCode: hs, limit: 1000 }),
    api('/skill/series', { hsCode: hs }),
    api('/skill/search', { q: hs, limit: 5 }), // for the English name
    api('/skill/growth', { hsCode: hs, limit: 1000 }),
    api('/skill/priceband', { hsCode: hs, limit: 1000 }),
    api('/skill/chapter', { hsCode: hs }),
  ]);
  if (seq !== S.seq) return false;
  $('loading').hidden = true;
  if (d.status === 'rejected') {
    S.hs = null; S.dash = null;
    for (const id of ['dashboard', 'markets', 'country', 'more', 'chapter']) $(id).hidden = true;
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
  S.growth = settled(g); S.band = settled(b); S.chapter = settled(c); S.all = {};
  document.title = S.dash.hsCode + ' ' + productLabel(S.dash) + ' · ' + t('title');
  renderDashboard();
  renderMarkets();
  renderMore();
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
  seasonChart($('season'), d.seasonality);
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
// A line chart of [{month, amount}] (oldest first) as inline SVG, sized to its
// box. An amount may be null (a gap in the line). opts: name, split (the
// previous/recent 12 months), and for other values than yuan totals: fmt,
// full (exact figure, or null), axis, aria (label key), yoy (false), area
// (false), h (height).
function lineChart(box, data, opts) {
  box.replaceChildren();
  const fmt = opts.fmt || money, full = opts.full === undefined ? fullMoney : opts.full;
  const axis = opts.axis || axisMoney;
  const W = Math.max(280, Math.round(box.clientWidth || 600));
  const H = opts.h || (W < 520 ? 190 : 240);
  const max = Math.max(0, ...data.map((p) => p.amount || 0));
  const step = niceStep(max / 4);
  const top = Math.max(step, Math.ceil(max / step) * step);
  const ticks = [];
  for (let v = 0; v <= top + step / 2; v += step) ticks.push(v);
  const L = 12 + 7 * Math.max(...ticks.map((v) => axis(v).length));
  const R = 18, T = 14, B = 26;
  const pw = W - L - R, ph = H - T - B;
  const n = data.length;
  const x = (i) => L + (n <= 1 ? pw / 2 : (i * pw) / (n - 1));
  const y = (v) => T + ph - (v / top) * ph;
  const known = data.filter((p) => p.amount != null);
  const last = known[known.length - 1] || { amount: null, month: '' };
  const maxP = known.reduce((a, p) => (p.amount > a.amount ? p : a), known[0] || last);
  const svg = sv('svg', {
    viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img',
    'aria-label': t(opts.aria || 'chartAria', { name: opts.name, from: fmtMonth(data[0] && data[0].month), to: fmtMonth(data[n - 1] && data[n - 1].month), max: fmt(maxP.amount), last: fmt(last.amount) }),
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
    svg.append(sv('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end' }, axis(v)));
  }
  const every = Math.max(1, Math.ceil((n * 46) / pw));
  data.forEach((p, i) => {
    if ((n - 1 - i) % every === 0) {
      svg.append(sv('text', { x: x(i), y: H - 8, 'text-anchor': 'middle' }, p.month.slice(2, 4) + '-' + p.month.slice(4, 6)));
    }
  });
  // One path per run of known points.
  let d = '', run = [];
  const flush = () => {
    if (run.length && opts.area !== false) {
      svg.append(sv('path', { class: 'area', d: `M${x(run[0]).toFixed(1)},${y(0)} L${run.map((i) => `${x(i).toFixed(1)},${y(data[i].amount).toFixed(1)}`).join(' L')} L${x(run[run.length - 1]).toFixed(1)},${y(0)} Z` }));
    }
    if (run.length) d += 'M' + run.map((i) => `${x(i).toFixed(1)},${y(data[i].amount).toFixed(1)}`).join(' L');
    run = [];
  };
  data.forEach((p, i) => { if (p.amount == null) flush(); else run.push(i); });
  flush();
  if (d) svg.append(sv('path', { class: 'line', d }));
  data.forEach((p, i) => {
    if (p.amount == null) return;
    const c = sv('circle', { class: 'dot', cx: x(i).toFixed(1), cy: y(p.amount).toFixed(1), r: n > 36 ? 1.8 : n > 18 ? 2.5 : 3.5 });
    c.append(sv('title', null, fmtMonth(p.month) + ': ' + (full ? full(p.amount) : fmt(p.amount))));
    svg.append(c);
  });
  box.append(svg);
  box.dataset.points = String(known.length);
  if (!known.length) return;
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
    mark.setAttribute('visibility', p.amount == null ? 'hidden' : 'visible');
    mark.setAttribute('cx', x(cur).toFixed(1));
    mark.setAttribute('cy', y(p.amount || 0).toFixed(1));
    guide.setAttribute('x1', x(cur).toFixed(1));
    guide.setAttribute('x2', x(cur).toFixed(1));
    readout.replaceChildren(h('b', { text: fmtMonth(p.month) }), ' ' + fmt(p.amount) + ' ',
      full && p.amount != null ? h('small', { text: full(p.amount) }) : '');
    if (prev && opts.yoy !== false) {
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
  select(data.indexOf(last));
}

// Twelve bars of a seasonality answer's monthShare, the peak months marked
// and an even share (100/12) as a dashed line, with yearsUsed and the strength.
function seasonChart(box, s) {
  box.replaceChildren();
  if (!s || !Array.isArray(s.monthShare)) {
    box.append(h('p', { class: 'hint', text: t('noSeason') }));
    return;
  }
  const share = s.monthShare, peaks = s.peakMonths || [];
  const W = Math.max(280, Math.round(box.clientWidth || 600)), H = W < 520 ? 170 : 200;
  const even = 100 / 12;
  const step = niceStep(Math.max(even, ...share.map((v) => v || 0)) / 4);
  const top = Math.max(step, Math.ceil(Math.max(even * 1.2, ...share.map((v) => v || 0)) / step) * step);
  const L = 40, R = 46, T = 16, B = 22, pw = W - L - R, ph = H - T - B, bw = pw / 12;
  const y = (v) => T + ph - (v / top) * ph;
  const years = (s.yearsUsed || []).length ? s.yearsUsed[0] + (s.yearsUsed.length > 1 ? '–' + s.yearsUsed[s.yearsUsed.length - 1] : '') : '';
  const peakText = peaks.length ? peaks.map(monthName).join(zh() ? '、' : ', ') : t('none');
  const svg = sv('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img',
    'aria-label': t('seasonAria', { years, list: share.map((v, i) => monthName(i + 1) + ' ' + pct(v)).join(', '), peaks: peakText }) });
  for (let v = 0; v <= top + step / 2; v += step) {
    svg.append(sv('line', { class: v ? 'grid' : 'axis', x1: L, x2: L + pw, y1: y(v), y2: y(v) }));
    svg.append(sv('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end' }, String(+v.toFixed(2)) + '%'));
  }
  share.forEach((v, i) => {
    const m = i + 1, pk = peaks.includes(m), bx = L + i * bw + bw * 0.15;
    const r = sv('rect', { class: pk ? 'sbar peak' : 'sbar', x: bx.toFixed(1), y: y(v || 0).toFixed(1), width: (bw * 0.7).toFixed(1),
      height: Math.max(0, ph - (y(v || 0) - T)).toFixed(1), 'data-month': m });
    r.append(sv('title', null, monthName(m) + ': ' + pct(v) + (s.monthTotals ? ', ' + fullMoney(s.monthTotals[i]) : '') + (pk ? ' · ' + t('peak') : '')));
    svg.append(r);
    if (pk) svg.append(sv('text', { class: 'peak-mark', x: (bx + bw * 0.35).toFixed(1), y: (y(v) - 4).toFixed(1), 'text-anchor': 'middle' }, '▲'));
    svg.append(sv('text', { x: (bx + bw * 0.35).toFixed(1), y: H - 6, 'text-anchor': 'middle', class: pk ? 'peak-label' : null }, W >= 480 ? monthName(m) : String(m)));
  });
  svg.append(sv('line', { class: 'even', x1: L, x2: L + pw, y1: y(even).toFixed(1), y2: y(even).toFixed(1) }));
  const ev = sv('text', { class: 'legend', x: L + pw + 4, y: (y(even) - 3).toFixed(1) }, t('even'));
  ev.append(sv('tspan', { x: L + pw + 4, dy: '1.2em' }, pct(even)));
  svg.append(ev);
  box.append(svg, h('dl', { class: 'figures small' },
    figure('peakMonths', t('peakMonths'), peakText, null, peaks.join(',')),
    figure('yearsUsed', t('yearsUsed'), years, null, (s.yearsUsed || []).join(',')),
    figure('seasonalityStrength', t('strength'), s.seasonalityStrength == null ? '—' : num(s.seasonalityStrength, 2), null, s.seasonalityStrength)),
  h('p', { class: 'hint', text: t('strengthTip') }));
}

// ---- markets ----------------------------------------------------------
const collator = () => new Intl.Collator('zh-CN-u-co-pinyin');
function sortedMarkets() {
  const { key, dir } = S.sort;
  const total = (S.dash && S.dash.recent12mGlobalTotal) || 0;
  const rows = (S.markets || []).map((r) => ({ ...r, share: r.share !== undefined ? r.share : total ? (r.recent12mTotal / total) * 100 : null }));
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
    tbody.replaceChildren(h('tr', null, h('td', { colspan: '7', class: 'error', text: errorText(S.marketsError) })));
    return;
  }
  const rows = sortedMarkets();
  $('markets-caption').textContent = t('marketsCaption', { name: productLabel(S.dash), n: rows.length });
  if (!rows.length) {
    tbody.replaceChildren(h('tr', null, h('td', { colspan: '7', text: t('noMarkets') })));
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
    h('td', { class: 'num' }, r.yoyGrowthRate === undefined ? '—' : growth(r.yoyGrowthRate, r.lowBase)),
    h('td', { class: 'num' }, growth(r.threeYearCAGR)))));
}

// ---- growth markets, price bands, chapter -------------------------------
// A settled request's answer, or its error.
const settled = (r) => (r.status === 'fulfilled' ? { data: r.value } : { error: r.reason });
const countryLink = (r) => [h('a', { href: hashFor(S.hs, r.countryCode), title: t('openCountry', { country: cname(r) }), text: cname(r) }),
  h('span', { class: 'cc', text: r.countryCode })];
// A table body of rows (10 at first, then a button for all of them) or one message row.
function fillTable(id, rows, cols, empty, make) {
  const tbody = $(id).tBodies[0];
  const old = $(id + '-more');
  if (old) old.remove();
  if (!rows.length) { tbody.replaceChildren(h('tr', null, h('td', { colspan: String(cols), text: empty }))); return; }
  const all = S.all[id] || rows.length <= 12;
  tbody.replaceChildren(...(all ? rows : rows.slice(0, 10)).map(make));
  if (rows.length <= 12) return;
  $(id).parentNode.after(h('p', { id: id + '-more', class: 'more' }, h('button', { type: 'button', 'aria-expanded': String(!!S.all[id]), 'aria-controls': id,
    onclick: () => { S.all[id] = !S.all[id]; fillTable(id, rows, cols, empty, make); $(id + '-more').querySelector('button').focus(); } },
  S.all[id] ? t('showLess') : t('showAll', { n: num(rows.length) }))));
}
function errorRow(id, cols, e) {
  fillTable(id, [], cols, '', null);
  $(id).tBodies[0].rows[0].cells[0].replaceChildren(h('span', { class: 'error', text: errorText(e) }));
}
function renderMore() {
  $('more').hidden = !S.dash;
  $('chapter').hidden = !S.dash;
  if (!S.dash) return;
  renderGrowth(); renderBand(); renderChapter();
}
function renderGrowth() {
  const g = S.growth || {};
  const sum = $('growth-sum');
  if (g.error) { sum.textContent = ''; errorRow('growth-table', 5, g.error); return; }
  const d = g.data;
  if (!d) return;
  sum.textContent = t('growthSum', { n: num(d.marketCount || 0), base: money(d.minBase), low: num(d.excludedLowBase || 0), neu: num(d.newMarkets || 0) });
  $('growth-caption').textContent = t('growthCaption', { name: productLabel(S.dash) });
  fillTable('growth-table', d.markets || [], 5, t('noGrowth'), (r) => h('tr', { 'data-code': r.countryCode },
    h('td', { class: 'num', text: String(r.rank) }),
    h('td', null, ...countryLink(r)),
    h('td', { class: 'num', title: fullMoney(r.recent12mTotal), text: pct(r.share) }),
    h('td', { class: 'num' }, signedMoney(r.change)),
    h('td', { class: 'num', 'data-value': r.yoyGrowthRate == null ? '' : String(r.yoyGrowthRate) }, growth(r.yoyGrowthRate))));
}
function renderBand() {
  const b = S.band || {};
  const sum = $('band-sum');
  const chart = $('price-chart');
  $('h-price').hidden = !!b.error;
  if (b.error) { sum.replaceChildren(); chart.replaceChildren(); errorRow('band-table', 4, b.error); return; }
  const d = b.data;
  if (!d) return;
  // One line per unit: its median and counts, or why it has no band.
  const units = [1, 2].filter((n) => d['unit' + n] && (n === 1 || d['unit' + n].unit));
  sum.replaceChildren(...units.map((n) => {
    const u = d['unit' + n];
    if (u.unit == null || u.median == null) {
      return h('p', { class: 'hint', 'data-unit': String(n) }, t('noBand', { reason: u.reason || t('none') }));
    }
    return h('p', { class: 'bandsum', 'data-unit': String(n), 'data-median': String(u.median) },
      t('bandSum', { unit: unit(u.unit), median: price(u.median, u.unit) }), ' ',
      ...[['premium', '高端', u.premiumCount], ['mid', '中端', u.midCount], ['value', '性价比', u.valueCount]]
        .map(([k, z, n]) => h('span', { class: 'nw' }, badge(k, z), ' ' + num(n || 0) + ' ')));
  }));
  if (units.some((n) => d['unit' + n].median != null)) sum.append(h('p', { class: 'hint', text: t('bandRule') }));
  $('band-caption').textContent = t('bandCaption', { name: productLabel(S.dash) });
  const u1 = d.unit1 && d.unit1.unit, u2 = d.unit2 && d.unit2.unit;
  fillTable('band-table', d.markets || [], 4, t('noMarkets'), (r) => h('tr', { 'data-code': r.countryCode },
    h('td', null, ...countryLink(r)),
    h('td', { class: 'num hide-s', title: fullMoney(r.recent12mTotal), text: money(r.recent12mTotal) }),
    h('td', { class: 'num', 'data-value': r.price1 == null ? '' : String(r.price1) }, price(r.price1, u1),
      u2 ? h('small', { class: 'p2', text: price(r.price2, u2) }) : null),
    h('td', null, badge(r.band1, r.bandZh1) || '—', u2 && r.band2 ? h('small', { class: 'p2' }, badge(r.band2, r.bandZh2)) : null)));
  const trend = (d.priceTrend1 || []).map((p) => ({ month: p.month, amount: p.price }));
  const tu = (d.priceTrend1 || []).reduce((a, p) => p.unit || a, u1);
  if (!trend.some((p) => p.amount != null)) { chart.replaceChildren(h('p', { class: 'hint', text: t('noPrice') })); return; }
  lineChart(chart, trend, { name: productLabel(S.dash), fmt: (v) => price(v, tu), full: null, axis: (v) => String(+v.toFixed(2)),
    aria: 'priceAria', yoy: false, area: false, h: 160 });
}
function renderChapter() {
  const c = S.chapter || {};
  const box = $('chapter-bars');
  const sum = $('chapter-sum');
  if (c.error) {
    $('h-chapter').textContent = t('chapterTitle', { c: S.hs.slice(0, 2) });
    sum.replaceChildren();
    box.replaceChildren(h('p', { class: 'error', text: errorText(c.error) }));
    return;
  }
  const d = c.data;
  if (!d) return;
  $('h-chapter').textContent = t('chapterTitle', { c: d.chapter }) + (d.chapterName ? ' · ' + d.chapterName : '');
  sum.replaceChildren(t('chapterSum', { total: money(d.chapterTotal) }), growth(d.chapterYoyGrowthRate),
    d.selfRank ? t('selfRank', { h: d.selfHeading, r: num(d.selfRank), n: num(d.headingCount) }) : '');
  const rows = d.headings || [];
  if (!rows.length) { box.replaceChildren(h('p', { class: 'hint', text: t('noChapter') })); return; }
  const top = Math.max(...rows.map((r) => r.share || 0)) || 1;
  box.replaceChildren(...rows.map((r) => {
    const name = productLabel(r) === t('group', { n: 4 }) ? t('heading', { h: r.hsCode }) : r.hsCode + ' ' + productLabel(r);
    const fill = h('span', { class: 'fill' });
    fill.style.width = Math.max(0, Math.min(100, ((r.share || 0) / top) * 100)) + '%';
    fill.style.minWidth = r.share > 0 ? '2px' : '0';
    return h('div', { class: r.isSelf ? 'bar self' : 'bar', 'data-key': r.hsCode, 'data-share': String(r.share), 'aria-current': r.isSelf ? 'true' : null },
      h('a', { class: 'lbl', href: hashFor(r.hsCode, null), title: name, text: name }),
      h('span', { class: 'track', role: 'meter', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(r.share || 0),
        'aria-label': t('headingAria', { name, p: pct(r.share), amount: money(r.recent12mTotal), codes: num(r.activeCodes || 0) }) }, fill),
      h('span', { class: 'pct', text: pct(r.share) }),
      h('span', { class: 'pct hide-s' }, growth(r.yoyGrowthRate)));
  }));
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
  const [tr, hi, se] = await Promise.allSettled([
    api('/skill/trend', { hsCode: hs, countryCode: c }),
    api('/skill/history', { hsCode: hs, countryCode: c }),
    api('/skill/seasonality', { hsCode: hs, countryCode: c }),
  ]);
  if (seq !== S.cseq) return;
  S.cseason = settled(se);
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
    $('country-season').replaceChildren();
    tbody.replaceChildren();
    return;
  }
  lineChart(chart, S.trend.monthlyData, { name });
  const cs = S.cseason || {};
  if (cs.error) $('country-season').replaceChildren(h('p', { class: 'error', text: errorText(cs.error) }));
  else seasonChart($('country-season'), cs.data);
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
  if (S.dash) { renderDashboard(); renderMarkets(); renderMore(); }
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
      if (S.dash) { seasonChart($('season'), S.dash.seasonality); renderBand(); }
      if (S.c && S.cseason && S.cseason.data) seasonChart($('country-season'), S.cseason.data);
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
