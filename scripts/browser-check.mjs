// Drives the web page of `cnexport serve` in headless Chromium (Playwright's
// playwright-core with Debian's /usr/bin/chromium) and checks what it shows
// against the API's own answers. Started by scripts/browser-check.sh, which
// installs what it needs and starts the server.
//
//   node browser-check.mjs --base http://127.0.0.1:PORT --out DIR
//
// Prints each check and the screenshots' paths; exits 1 if a check failed.
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const BASE = args.base;
const OUT = path.resolve(args.out || 'target/browser-check');
const CHROMIUM = args.chromium || process.env.CHROMIUM || '/usr/bin/chromium';
const require = createRequire(path.join(args.modules || process.cwd(), 'noop.js'));
const { chromium } = require('playwright-core');
const HS = '85171300';

mkdirSync(OUT, { recursive: true });
const failures = [];
const shots = [];
let passed = 0;
function check(ok, what, detail) {
  if (ok) { passed++; console.log('  ok   ' + what); }
  else { failures.push(what); console.log('  FAIL ' + what + (detail !== undefined ? ': ' + JSON.stringify(detail) : '')); }
  return ok;
}
async function shot(page, name, fullPage = true) {
  const file = path.join(OUT, name);
  await page.screenshot({ path: file, fullPage });
  shots.push(file);
}
async function api(target) {
  const r = await fetch(BASE + target);
  const body = await r.json();
  return { status: r.status, body };
}
// The page's own formatting of a yuan amount in Chinese (亿/万) for a cross-check.
function zhMoney(v) {
  const f = (x) => Number(x).toLocaleString('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const a = Math.abs(v);
  if (a >= 1e8) return f(v / 1e8) + ' 亿元';
  if (a >= 1e4) return f(v / 1e4) + ' 万元';
  return Number(v).toLocaleString('zh-CN') + ' 元';
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
// Every request the page makes, and every error it logs.
const requests = [];
const problems = [];
function watch(page, label) {
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => problems.push(`${label}: page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`${label}: console: ${m.text()}`); });
  page.on('requestfailed', (r) => problems.push(`${label}: request failed: ${r.url()} ${r.failure() && r.failure().errorText}`));
}
// The page renders a product's views together once its answers are in: wait for its code in the title.
const shownProduct = (page, hs) => page.waitForFunction((c) => { const e = document.querySelector('#product-title .code-tag'); return e && e.textContent === c; }, hs, { timeout: 10000 });
const rowCodes = (page) => page.$$eval('#markets-table tbody tr[data-code]', (trs) => trs.map((tr) => tr.dataset.code));
const rowValues = (page) => page.$$eval('#markets-table tbody tr[data-code] td[data-value]', (tds) => tds.map((td) => Number(td.dataset.value)));

try {
  // ---------------------------------------------------------------- desktop
  console.log('desktop, 1280x900, Chinese');
  const desk = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
  const page = await desk.newPage();
  watch(page, 'desktop');
  const resp = await page.goto(BASE + '/', { waitUntil: 'networkidle' });
  check(resp.status() === 200, 'GET / is 200', resp.status());
  check((await page.title()).includes('中国出口统计'), 'the title is Chinese by default', await page.title());
  check(await page.isVisible('#intro'), 'the introduction is shown before a search');

  // Search by name.
  const expected = await api('/skill/search?q=' + encodeURIComponent('手机') + '&limit=12');
  await page.fill('#q', '手机');
  await page.waitForSelector('#results li', { timeout: 10000 });
  const shown = await page.$$eval('#results li', (lis) => lis.map((li) => li.dataset.code));
  check(shown.length > 0 && shown.length === expected.body.data.length, 'search 手机 lists the API answer\'s results', { shown: shown.length, api: expected.body.data.length });
  check(shown[0] === expected.body.data[0].hsCode, 'in the API\'s order', { shown: shown[0], api: expected.body.data[0].hsCode });
  check(shown.includes(HS), `search 手机 finds ${HS}`, shown);
  const firstName = await page.textContent('#results li .name');
  check(/[\u4e00-\u9fff]/.test(firstName || ''), 'results show the Chinese name', firstName);
  await shot(page, '01-search-zh.png', false);

  // Search by code, open the product from the list.
  await page.fill('#q', '');
  await page.fill('#q', '8517');
  // The list of 8517 starts with the 4-digit group (the list of 手机 had no such entry).
  await page.waitForSelector('#results li[data-code="8517"]', { timeout: 10000 });
  const byCode = await page.$$eval('#results li', (lis) => lis.map((li) => li.dataset.code));
  check(byCode.length > 1 && byCode.every((c) => c.startsWith('8517')), 'search 8517 lists codes under 8517', byCode);
  await page.click(`#results li[data-code="${HS}"]`);
  await page.waitForSelector('#figures [data-key="recent12mGlobalTotal"]', { timeout: 10000 });
  await page.waitForSelector('#markets-table tbody tr[data-code]');
  check(page.url().endsWith('#hs=' + HS), 'the URL hash names the product', page.url());

  const dash = (await api('/skill/dashboard?hsCode=' + HS)).body.data;
  const figValue = (key) => page.getAttribute(`#figures [data-key="${key}"]`, 'data-value');
  const figText = (key) => page.textContent(`#figures [data-key="${key}"] dd`);
  check(await figValue('recent12mGlobalTotal') === String(dash.recent12mGlobalTotal),
    'the 12-month total is the API\'s', { page: await figValue('recent12mGlobalTotal'), api: dash.recent12mGlobalTotal });
  const totalText = await figText('recent12mGlobalTotal');
  check(totalText.startsWith(zhMoney(dash.recent12mGlobalTotal)), 'and reads in 亿/万元', { page: totalText, expected: zhMoney(dash.recent12mGlobalTotal) });
  check(totalText.includes(Number(dash.recent12mGlobalTotal).toLocaleString('zh-CN') + ' 元'), 'with the exact amount, thousands separated', totalText);
  check(await figValue('activeCountriesCount') === String(dash.activeCountriesCount), 'active countries are the API\'s', dash.activeCountriesCount);
  const yoyText = await figText('yoyGrowthRate');
  const yoyExpected = dash.yoyGrowthRate == null ? '—' : (dash.yoyGrowthRate > 0 ? '+' : '') + dash.yoyGrowthRate.toFixed(2) + '%';
  check(yoyText.includes(yoyExpected), 'YoY growth is shown as a percentage', { page: yoyText, expected: yoyExpected });
  check((await page.textContent('#product-title')).includes(dash.productName), 'the title names the product', dash.productName);

  const bars = await page.$$eval('#regions .bar', (bs) => bs.map((b) => ({ key: b.dataset.key, w: parseFloat(b.querySelector('.fill').style.width) })));
  check(bars.length === 6, 'six region bars', bars.length);
  const best = bars.reduce((a, b) => (b.w > a.w ? b : a), bars[0] || { w: 0 });
  const apiRegion = dash.regionBreakdown[best.key + 'Percent'];
  check(best.w > 0 && Math.abs(best.w - apiRegion) < 0.01, 'the widest region bar is the API\'s share', { bar: best, api: apiRegion });
  check((await page.$$('#blocs .bar')).length === 5, 'five trade-bloc bars');

  const series = (await api('/skill/series?hsCode=' + HS)).body.data.monthlyData;
  const sum = (a) => a.reduce((s, p) => s + p.amount, 0);
  check(series.length === 24 && sum(series.slice(12)) === dash.recent12mGlobalTotal && sum(series.slice(0, 12)) === dash.prev12mGlobalTotal,
    'the 24-month series adds up to the dashboard\'s two 12-month totals', { recent: sum(series.slice(12)), prev: sum(series.slice(0, 12)) });
  check(await page.$$eval('#chart svg circle.dot', (c) => c.length) === 24, 'the 24-month chart has 24 points');
  check(await page.$eval('#chart svg path.line', (p) => p.getAttribute('d').split('L').length) === 24, 'joined by one line');
  await shot(page, '02-dashboard-zh.png');
  const fmtMonth = (m) => m.slice(0, 4) + '-' + m.slice(4);
  const readout = () => page.textContent('#chart .readout');
  check((await readout()).startsWith(fmtMonth(series[23].month) + ' ' + zhMoney(series[23].amount)), 'the readout under the chart shows the latest month', await readout());
  if (typeof dash.monthYoyGrowthRate === 'number') {
    const r = await readout();
    const g = (dash.monthYoyGrowthRate > 0 ? '+' : '') + dash.monthYoyGrowthRate.toFixed(2) + '%';
    check(r.includes(g), 'with its change on a year before, as the dashboard\'s monthYoyGrowthRate', { readout: r, api: g });
  }
  await page.focus('#chart svg');
  await page.keyboard.press('ArrowLeft');
  check((await readout()).startsWith(fmtMonth(series[22].month) + ' ' + zhMoney(series[22].amount)), 'and the month before after ← on the chart', await readout());
  const box = await page.$eval('#chart svg', (e) => { const r = e.getBoundingClientRect(); return { x: r.x, y: r.y, w: r.width, h: r.height }; });
  await page.mouse.move(box.x + box.w - 2, box.y + box.h / 2);
  await page.mouse.move(box.x + 2, box.y + box.h / 2, { steps: 4 });
  check((await readout()).startsWith(fmtMonth(series[0].month)), 'and the first month under the pointer at the left edge', await readout());
  check(!/null|undefined|NaN/.test(await readout()), 'with no null, undefined or NaN in it', await readout());

  // Markets: the API's order first, then sorted by clicking headers.
  const markets = (await api(`/skill/markets?hsCode=${HS}&limit=1000`)).body.data;
  const before = await rowCodes(page);
  check(before.length === markets.length, 'the markets table has every market', { page: before.length, api: markets.length });
  check(before.slice(0, 5).join() === markets.slice(0, 5).map((m) => m.countryCode).join(), 'largest market first, as the API ranks them', before.slice(0, 5));
  await page.click('#markets-table th[data-key="countryName"] button');
  const byName = await rowCodes(page);
  check(byName.join() !== before.join(), 'sorting by country changes the order');
  check(await page.getAttribute('#markets-table th[data-key="countryName"]', 'aria-sort') === 'ascending', 'and marks the header aria-sort=ascending');
  const byNameApi = (await api(`/skill/markets?hsCode=${HS}&limit=1000&sortBy=name&order=asc`)).body.data.map((m) => m.countryCode);
  check(byName.join() === byNameApi.join(), 'in the API\'s pinyin order', { page: byName.slice(0, 6), api: byNameApi.slice(0, 6) });
  await page.$eval('#markets', (e) => e.scrollIntoView());
  await shot(page, '03-markets-by-name-zh.png', false);
  await page.click('#markets-table th[data-key="recent12mTotal"] button');
  await page.click('#markets-table th[data-key="recent12mTotal"] button');
  const asc = await rowValues(page);
  check(asc.length > 1 && asc.every((v, i) => i === 0 || asc[i - 1] <= v), 'two clicks on the amount header sort it ascending', asc.slice(0, 5));
  await page.click('#markets-table th[data-key="recent12mTotal"] button');
  const desc = await rowValues(page);
  check(desc.every((v, i) => i === 0 || desc[i - 1] >= v), 'a third click sorts it descending again');

  // Seasonality: the dashboard's own profile as 12 bars, the peak months marked.
  const season = dash.seasonality;
  check(typeof dash.currentMonth === 'number' && (await page.textContent('#product-sub')).includes(fmtMonth(String(dash.currentMonth))),
    'the dashboard\'s integer currentMonth reads YYYY-MM', { api: dash.currentMonth, page: await page.textContent('#product-sub') });
  if (check(season && Array.isArray(season.monthShare), `${HS} has a seasonality profile in the sample`, season)) {
    const sbars = await page.$$eval('#season rect.sbar', (rs) => rs.map((r) => ({ m: Number(r.dataset.month), h: Number(r.getAttribute('height')), peak: r.classList.contains('peak') })));
    check(sbars.length === 12, 'the seasonality profile has 12 bars', sbars.length);
    check(sbars.filter((b) => b.peak).map((b) => b.m).join() === season.peakMonths.join(), 'its marked bars are the API\'s peak months', { page: sbars.filter((b) => b.peak), api: season.peakMonths });
    const tallest = sbars.reduce((a, b) => (b.h > a.h ? b : a), sbars[0]);
    const maxShare = Math.max(...season.monthShare);
    check(season.monthShare[tallest.m - 1] === maxShare, 'its tallest bar is the month with the largest monthShare', { bar: tallest.m, share: maxShare });
    check(await page.$$eval('#season line.even', (l) => l.length) === 1, 'with the even share (8.33%) as a line');
    check(await page.getAttribute('#season [data-key="yearsUsed"]', 'data-value') === season.yearsUsed.join(','), 'and the API\'s yearsUsed', season.yearsUsed);
    check(await page.getAttribute('#season [data-key="seasonalityStrength"]', 'data-value') === String(season.seasonalityStrength), 'and its seasonalityStrength', season.seasonalityStrength);
    await page.$eval('#h-season', (e) => e.scrollIntoView());
    await shot(page, '14-seasonality-zh.png', false);
  }

  // Growth markets: the API's ranking, 10 rows and a button for all of them.
  const grow = (await api(`/skill/growth?hsCode=${HS}&limit=1000`)).body.data;
  const growRows = () => page.$$eval('#growth-table tbody tr[data-code]', (trs) => trs.map((tr) => tr.dataset.code));
  check(grow.markets.length > 0, `${HS} has growth markets`, grow.marketCount);
  const g10 = await growRows();
  check(g10.join() === grow.markets.slice(0, 10).map((m) => m.countryCode).join(), 'the growth table starts with the API\'s fastest-growing markets, in its order', { page: g10, api: grow.markets.slice(0, 10).map((m) => m.countryCode) });
  const gFirst = await page.getAttribute('#growth-table tbody tr[data-code] td[data-value]', 'data-value');
  check(gFirst === String(grow.markets[0].yoyGrowthRate), 'with the API\'s growth rate', { page: gFirst, api: grow.markets[0].yoyGrowthRate });
  const gSum = await page.textContent('#growth-sum');
  check(gSum.includes(`${grow.marketCount} 个市场`) && gSum.includes(`未排名 ${grow.excludedLowBase} 个`) && gSum.includes(`新市场 ${grow.newMarkets} 个`),
    'and the API\'s marketCount, excludedLowBase and newMarkets', gSum);
  if (grow.markets.length > 12) {
    await page.click('#growth-table-more button');
    check((await growRows()).length === grow.markets.length, '"显示全部" shows every ranked market', (await growRows()).length);
    check(await page.getAttribute('#growth-table-more button', 'aria-expanded') === 'true', 'and says so with aria-expanded');
  }
  await page.$eval('#more', (e) => e.scrollIntoView());
  await shot(page, '15-growth-pricebands-zh.png', false);

  // Price bands: each market's price and band, the median, the trend line.
  const band = (await api(`/skill/priceband?hsCode=${HS}&limit=1000`)).body.data;
  const bandRows = await page.$$eval('#band-table tbody tr[data-code]', (trs) => trs.map((tr) => ({
    code: tr.dataset.code, price: tr.querySelector('td[data-value]').dataset.value, badge: (tr.querySelector('.badge') || {}).textContent || null })));
  check(bandRows.length > 0 && bandRows.every((r, i) => r.code === band.markets[i].countryCode), 'the price-band table lists the API\'s markets in its order', bandRows.slice(0, 3));
  check(bandRows.every((r, i) => r.price === (band.markets[i].price1 == null ? '' : String(band.markets[i].price1))), 'with the API\'s price1', bandRows.slice(0, 3));
  check(bandRows.every((r, i) => r.badge === band.markets[i].bandZh1), 'and its band as a 高端/中端/性价比 badge', bandRows.map((r) => r.badge).slice(0, 5));
  check(await page.getAttribute('#band-sum [data-unit="1"]', 'data-median') === String(band.unit1.median), 'the median of unit 1 is the API\'s', band.unit1.median);
  const trendPoints = band.priceTrend1.filter((p) => p.price != null).length;
  check(trendPoints > 0 && await page.getAttribute('#price-chart', 'data-points') === String(trendPoints), 'the price trend has a point for each priced month', trendPoints);
  check(!/null|undefined|NaN/.test(await page.textContent('#price-chart .readout')), 'its readout has no null or NaN', await page.textContent('#price-chart .readout'));

  // The chapter: every heading as a bar, the product's heading highlighted.
  const chap = (await api(`/skill/chapter?hsCode=${HS}`)).body.data;
  const cbars = await page.$$eval('#chapter-bars .bar', (bs) => bs.map((b) => ({ key: b.dataset.key, self: b.classList.contains('self'), w: parseFloat(b.querySelector('.fill').style.width) })));
  check(cbars.length === chap.headingCount && cbars.map((b) => b.key).join() === chap.headings.map((x) => x.hsCode).join(), 'the chapter has a bar for each of the API\'s headings, largest first', { page: cbars.length, api: chap.headingCount });
  check(cbars.filter((b) => b.self).map((b) => b.key).join() === chap.selfHeading, `heading ${chap.selfHeading} is highlighted`, cbars.filter((b) => b.self));
  check(cbars[0].w === 100 && cbars.every((b, i) => i === 0 || b.w <= cbars[i - 1].w), 'bar lengths follow the shares', cbars.map((b) => b.w));
  const chapSum = await page.textContent('#chapter-sum');
  check(chapSum.includes(`${chap.selfHeading} 排名第 ${chap.selfRank} / ${chap.headingCount}`), 'and its selfRank is stated', chapSum);
  await page.$eval('#chapter', (e) => e.scrollIntoView());
  await shot(page, '16-chapter-zh.png', false);

  // A country: trend and history.
  const cc = markets[0].countryCode;
  await page.click(`#markets-table tbody tr[data-code="${cc}"] a`);
  await page.waitForSelector('#trend-chart svg circle.dot', { timeout: 10000 });
  await page.waitForSelector('#history-table tbody tr');
  check(page.url().endsWith(`#hs=${HS}&c=${cc}`), 'the URL hash names the country', page.url());
  const hist = (await api(`/skill/history?hsCode=${HS}&countryCode=${cc}`)).body.data;
  const trend = (await api(`/skill/trend?hsCode=${HS}&countryCode=${cc}`)).body.data;
  check((await page.textContent('#country-title')).includes(hist.countryName), 'the panel names the country', hist.countryName);
  check(await page.$$eval('#trend-chart svg circle.dot', (c) => c.length) === trend.monthlyData.length, 'the trend chart has the API\'s 12 months');
  const histRows = await page.$$eval('#history-table tbody tr', (trs) => trs.map((tr) => tr.dataset.month));
  check(histRows.join() === hist.monthlyDetail.map((m) => m.month).join(), 'the history table has the API\'s 24 months, newest first', histRows.slice(0, 3));
  const total24 = await page.getAttribute('#history-stats [data-key="total24MonthAmount"]', 'data-value');
  check(total24 === String(hist.summaryStats.total24MonthAmount), 'the 24-month total is the API\'s', { page: total24, api: hist.summaryStats.total24MonthAmount });
  check(await page.$eval(`#markets-table tr[data-code="${cc}"]`, (tr) => tr.classList.contains('current')), 'the country\'s row is highlighted');
  const cseason = (await api(`/skill/seasonality?hsCode=${HS}&countryCode=${cc}`)).body.data;
  const cpeaks = await page.$$eval('#country-season rect.sbar.peak', (rs) => rs.map((r) => Number(r.dataset.month)));
  check(await page.$$eval('#country-season rect.sbar', (rs) => rs.length) === 12 && cpeaks.join() === cseason.peakMonths.join(),
    'the country panel has that destination\'s seasonality, its peak months marked', { page: cpeaks, api: cseason.peakMonths });
  await shot(page, '04-country-zh.png', false);
  const junk = async () => (await page.evaluate(() => document.body.innerText)).match(/.{0,30}\b(null|undefined|NaN|Infinity)\b.{0,10}/g);
  check(!(await junk()), 'no null, undefined or NaN anywhere on the page', await junk());

  // A reload restores the view from the hash.
  await page.reload({ waitUntil: 'networkidle' });
  await page.waitForSelector('#history-table tbody tr', { timeout: 10000 });
  check(await page.isVisible('#dashboard') && await page.isVisible('#country'), 'a reload restores the product and the country from the hash');

  // English.
  await page.click('#lang');
  check(await page.textContent('#h-markets') === 'Markets', 'the language button switches the labels to English', await page.textContent('#h-markets'));
  check(await page.getAttribute('html', 'lang') === 'en', 'and sets <html lang="en">');
  check((await figText('recent12mGlobalTotal')).startsWith('CNY '), 'amounts read CNY ... in English', await figText('recent12mGlobalTotal'));
  const enBadge = await page.textContent('#band-table tbody .badge');
  check(['Premium', 'Mid', 'Value'].includes(enBadge), 'band badges read Premium/Mid/Value in English', enBadge);
  check((await page.textContent('#season svg')).includes('Dec'), 'and the seasonality months Jan..Dec', await page.textContent('#season svg'));
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, '05-dashboard-en.png');
  check(!(await junk()), 'nor in English', await junk());
  await page.reload({ waitUntil: 'networkidle' });
  await page.waitForSelector('#figures [data-key="recent12mGlobalTotal"]');
  check(await page.textContent('#h-markets') === 'Markets', 'English is remembered across a reload');
  await page.click('#lang');
  check(await page.textContent('#h-markets') === '出口市场', 'and switches back to Chinese');

  // Errors from the API are shown with their message.
  for (const [hs, status] of [['99999999', 404], ['12x', 400]]) {
    const answer = await api('/skill/dashboard?hsCode=' + encodeURIComponent(hs));
    await page.goto(`${BASE}/#hs=${hs}`, { waitUntil: 'networkidle' });
    // The page stays loaded across hash changes: wait for this answer's message.
    await page.waitForFunction((m) => { const e = document.querySelector('#error'); return !e.hidden && e.textContent.includes(m); },
      answer.body.message, { timeout: 10000 }).catch(() => {});
    const text = await page.textContent('#error');
    check(answer.status === status && text.includes(String(status)) && text.includes(answer.body.message),
      `a ${status} shows the API's message`, text);
    check(await page.isHidden('#dashboard'), `no dashboard after a ${status}`);
  }
  await shot(page, '06-error-zh.png', false);
  const noCountry = await api(`/skill/trend?hsCode=${HS}&countryCode=999`);
  await page.goto(`${BASE}/#hs=${HS}&c=999`, { waitUntil: 'networkidle' });
  await page.waitForSelector('#trend-chart .error', { timeout: 10000 });
  check((await page.textContent('#trend-chart .error')).includes(noCountry.body.message), 'a country without records shows the API\'s 404 message', noCountry.body.message);

  // A 2-digit chapter: no heading highlighted, and a roll-up of mixed units
  // gets the API's reason instead of a price band.
  const ch = HS.slice(0, 2);
  const chap2 = (await api(`/skill/chapter?hsCode=${ch}`)).body.data;
  const band2 = (await api(`/skill/priceband?hsCode=${ch}&limit=1000`)).body.data;
  await page.goto(`${BASE}/#hs=${ch}`, { waitUntil: 'networkidle' });
  await shownProduct(page, ch);
  check(await page.$$eval('#chapter-bars .bar', (b) => b.length) === chap2.headingCount, `chapter ${ch}: a bar for each heading`, chap2.headingCount);
  check(await page.$$eval('#chapter-bars .bar.self', (b) => b.length) === 0 && !(await page.textContent('#chapter-sum')).includes('排名'),
    `chapter ${ch}: no heading highlighted, no rank (selfRank is null)`, chap2.selfRank);
  if (band2.unit1.reason) {
    const why = await page.textContent('#band-sum [data-unit="1"]');
    check(why.includes(band2.unit1.reason), `chapter ${ch}: unit 1 has no band and the page gives the API's reason`, why);
    check(await page.$$eval('#band-table tbody .badge', (b) => b.length) === 0, `chapter ${ch}: no band badge then`);
  }
  await page.$eval('#more', (e) => e.scrollIntoView());
  await shot(page, '17-chapter-85-no-band-zh.png', false);
  check(!(await junk()), `chapter ${ch}: no null, undefined or NaN on the page`, await junk());

  // Null and error states, by rewriting the API's answers in the browser:
  // no complete year (monthShare null), and a 404 from each new endpoint.
  await page.route(/\/skill\/(dashboard|priceband|chapter|growth)\?/, async (route) => {
    const url = route.request().url();
    if (url.includes('/skill/dashboard')) {
      const r = await route.fetch();
      const body = await r.json();
      if (body.data) body.data.seasonality = { ...body.data.seasonality, yearsUsed: [], monthShare: null, peakMonths: [], seasonalityStrength: null };
      await route.fulfill({ response: r, json: body });
    } else {
      await route.fulfill({ status: 404, contentType: 'application/json', json: { code: 404, message: '未找到商品编码 (test) 的出口数据', data: null } });
    }
  });
  await page.goto(`${BASE}/#hs=${HS}`, { waitUntil: 'networkidle' });
  await shownProduct(page, HS);
  check((await page.textContent('#season')).includes('不足一个完整的日历年'), 'no complete year: the seasonality says there is no profile', await page.textContent('#season'));
  check(await page.$$eval('#season rect', (r) => r.length) === 0, 'and draws no bars');
  for (const id of ['#growth-table tbody', '#band-table tbody', '#chapter-bars']) {
    check((await page.textContent(id)).includes('出错了 404'), `a 404 of its endpoint is shown in ${id}`, await page.textContent(id));
  }
  check(await page.isVisible('#markets-table tbody tr[data-code]'), 'and the markets table still shows');
  await page.$eval('#more', (e) => e.scrollIntoView());
  await shot(page, '18-new-views-404-zh.png', false);
  await page.unroute(/\/skill\/(dashboard|priceband|chapter|growth)\?/);

  // Keyboard: type, arrow down, Enter.
  await page.goto(BASE + '/', { waitUntil: 'networkidle' });
  await page.focus('#q');
  await page.keyboard.type('8517');
  await page.waitForSelector('#results li');
  const second = await page.getAttribute('#results li:nth-child(2)', 'data-code');
  await page.keyboard.press('ArrowDown');
  check(await page.getAttribute('#q', 'aria-activedescendant') === 'opt-1', 'ArrowDown moves the active option');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#figures [data-key="recent12mGlobalTotal"]');
  check(page.url().endsWith('#hs=' + second), 'Enter opens it', page.url());

  // A product with a low base: the growth rate carries the flag, and a small
  // total reads in 万元 with the exact yuan beneath.
  const low = (await api('/skill/topProducts?sortBy=growth&minAmount=0&minBase=0&limit=100')).body.data.find((x) => x.lowBase);
  if (check(Boolean(low), 'the sample has a low-base product to show')) {
    await page.goto(`${BASE}/#hs=${low.hsCode}`, { waitUntil: 'networkidle' });
    await page.waitForFunction((c) => document.querySelector('#product-title').textContent.includes(c), low.hsCode, { timeout: 10000 });
    const text = await figText('yoyGrowthRate');
    check(text.includes('低基数'), `${low.hsCode}: its YoY growth is flagged 低基数`, text);
    const total = await figText('recent12mGlobalTotal');
    check(total.startsWith(zhMoney(low.recent12mGlobalTotal)), `${low.hsCode}: its small total reads ${zhMoney(low.recent12mGlobalTotal)}`, total);
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, '07-low-base-zh.png', false);
  }
  await desk.close();

  // ---------------------------------------------------------------- phone
  console.log('phone, 375x812, Chinese');
  const phone = await browser.newContext({ viewport: { width: 375, height: 812 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN' });
  const p = await phone.newPage();
  watch(p, 'phone');
  await p.goto(BASE + '/', { waitUntil: 'networkidle' });
  await p.fill('#q', '手机');
  await p.waitForSelector('#results li');
  await shot(p, '08-phone-search.png', false);
  await p.tap(`#results li[data-code="${HS}"]`);
  await p.waitForSelector('#chart svg circle.dot');
  await p.waitForSelector('#markets-table tbody tr[data-code]');
  const width = await p.evaluate(() => document.documentElement.scrollWidth);
  check(width <= 375, 'no horizontal scrolling at 375px', width);
  const chartW = await p.$eval('#chart svg', (s) => s.getBoundingClientRect().width);
  check(chartW > 300 && chartW <= 375, 'the chart fits the phone\'s width', chartW);
  check(await p.$eval('#figures [data-key="recent12mGlobalTotal"]', (e) => e.getBoundingClientRect().right) <= 375, 'figures fit the width');
  await p.evaluate(() => window.scrollTo(0, 0));
  await shot(p, '09-phone-dashboard.png', false);
  await p.$eval('#h-regions', (e) => e.scrollIntoView());
  await shot(p, '10-phone-bars-chart.png', false);
  await p.$eval('#markets', (e) => e.scrollIntoView());
  await shot(p, '11-phone-markets.png', false);
  await p.$eval('#h-season', (e) => e.scrollIntoView());
  await shot(p, '19-phone-seasonality.png', false);
  await p.$eval('#growth', (e) => e.scrollIntoView());
  await shot(p, '20-phone-growth.png', false);
  await p.$eval('#band', (e) => e.scrollIntoView());
  await shot(p, '21-phone-pricebands.png', false);
  await p.$eval('#chapter', (e) => e.scrollIntoView());
  await shot(p, '22-phone-chapter.png', false);
  check(await p.evaluate(() => document.documentElement.scrollWidth) <= 375, 'the new views fit the phone\'s width', await p.evaluate(() => document.documentElement.scrollWidth));
  await p.tap(`#markets-table tbody tr[data-code="${cc}"] a`);
  await p.waitForSelector('#history-table tbody tr');
  check(await p.evaluate(() => document.documentElement.scrollWidth) <= 375, 'the country panel fits too');
  await shot(p, '12-phone-country.png', false);
  await p.click('#lang');
  await p.$eval('#trend-chart', (e) => e.scrollIntoView());
  await shot(p, '13-phone-country-en.png', false);
  await phone.close();

  // How heavy and how quick on a phone over a throttled link (printed, not
  // checked: the machine may be busy). A fresh context: nothing cached.
  const slow = await browser.newContext({ viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true, locale: 'zh-CN' });
  const sp = await slow.newPage();
  watch(sp, 'phone, 4G');
  const cdp = await slow.newCDPSession(sp);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 150, downloadThroughput: 1.6e6 / 8, uploadThroughput: 0.75e6 / 8 });
  await sp.goto(`${BASE}/#hs=${HS}`);
  await sp.waitForSelector('#markets-table tbody tr[data-code]', { timeout: 30000 });
  await sp.waitForSelector('#chart svg circle.dot');
  const perf = await sp.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const res = performance.getEntriesByType('resource');
    const page = res.filter((r) => r.initiatorType !== 'fetch');
    const sum = (a, k) => a.reduce((s, r) => s + (r[k] || 0), 0);
    return {
      shown: Math.round(performance.now()),
      domContentLoaded: Math.round(nav.domContentLoadedEventEnd),
      pageBytes: nav.transferSize + sum(page, 'transferSize'),
      pageBytesDecoded: nav.decodedBodySize + sum(page, 'decodedBodySize'),
      apiRequests: res.length - page.length,
      apiBytes: sum(res.filter((r) => r.initiatorType === 'fetch'), 'transferSize'),
    };
  });
  console.log(`  info phone over a throttled link (150 ms, 1.6 Mbit/s): page ${perf.pageBytes} bytes transferred ` +
    `(${perf.pageBytesDecoded} unpacked), DOMContentLoaded ${perf.domContentLoaded} ms, product shown with its markets and chart ` +
    `after ${perf.shown} ms (${perf.apiRequests} API requests, ${perf.apiBytes} bytes)`);
  check(perf.pageBytes < 40000, 'the page weighs less than 40 KB on the wire', perf.pageBytes);
  await slow.close();

  // ---------------------------------------------------------------- overall
  const origin = new URL(BASE).origin;
  const external = requests.filter((u) => !u.startsWith(origin + '/') && !u.startsWith('data:'));
  check(external.length === 0, 'no request left the server\'s origin', external);
  check(requests.length > 10, `the page made ${requests.length} requests, all to ${origin}`);
  // The 400/404s above are logged by Chromium as failed resources; anything else is a problem.
  const unexpected = problems.filter((m) => !/status of (400|404)/.test(m));
  check(unexpected.length === 0, 'no script error or unexpected console error', unexpected);
} catch (e) {
  failures.push('unexpected: ' + e.message);
  console.log('  FAIL ' + e.stack);
} finally {
  await browser.close();
}

console.log('\nscreenshots:');
for (const s of shots) console.log('  ' + s);
console.log(`\n${passed} checks passed, ${failures.length} failed`);
process.exit(failures.length ? 1 : 0);
