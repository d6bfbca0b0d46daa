// Plays one page of `ssfmux serve` (/play/PATH, which loads dash.js and its Smooth
// Streaming module) in headless Chromium until the player reports the end, an error, or
// the time limit, and prints one JSON line: the video element's state at the end, the
// page's player log, the captions it showed, every HTTP request with its status, and
// failures (requests that never completed, page errors). tests/players.rs judges it.
//
// usage: node dashjs_play.js CHROMIUM URL TIMEOUT_MS

const puppeteer = require('puppeteer-core');

async function main() {
  const [chromium, url, limit] = process.argv.slice(2);
  const browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    // --no-sandbox: CI containers run as root, where Chromium's sandbox cannot start.
    args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required', '--mute-audio'],
  });
  const report = { requests: [], failures: [], state: null, log: '', captions: [] };
  try {
    const page = await browser.newPage();
    page.on('response', (r) => report.requests.push({ url: r.url(), status: r.status() }));
    page.on('requestfailed', (r) =>
      report.failures.push(`request failed: ${r.url()}: ${r.failure() && r.failure().errorText}`));
    page.on('pageerror', (e) => report.failures.push(`page error: ${e.message}`));
    await page.goto(url);
    const until = Date.now() + Number(limit);
    while (Date.now() < until) {
      await new Promise((done) => setTimeout(done, 250));
      const now = await page.evaluate(() => ({
        log: document.getElementById('log').textContent,
        captions: (document.getElementById('captions') || { textContent: '' }).textContent.trim(),
      }));
      report.log = now.log;
      // The captions dash.js rendered on the page, each once.
      if (now.captions && !report.captions.includes(now.captions)) report.captions.push(now.captions);
      if (/^(ended|error)/m.test(report.log)) break;
    }
    report.state = await page.evaluate(() => {
      const v = document.getElementById('player');
      const tracks = Array.from(v.textTracks || []).map((t) => ({
        kind: t.kind,
        mode: t.mode,
        language: t.language,
      }));
      return {
        currentTime: v.currentTime,
        duration: v.duration,
        error: v.error ? `${v.error.code} ${v.error.message}` : null,
        textTracks: tracks,
      };
    });
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(report));
}

main().catch((e) => {
  console.error(`dashjs_play: ${e && e.stack ? e.stack : e}`);
  process.exit(2);
});
