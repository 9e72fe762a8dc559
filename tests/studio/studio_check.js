// `handposture studio` in a real browser (Debian's headless Chromium, driven by puppeteer-core):
//  1. against `studio --replay` of two public datalogs: the raw posture of every frame the page
//     drew is the one ST's pretrained model gives it (ST's expected probabilities, read by
//     reference_frames.py with numpy), the heat maps' cells hold the frame's values, colors and
//     invalid marks; a second tab and a reload keep receiving; first draw < 1 s after load and
//     each frame drawn within the sensor period (100 ms); a screenshot kept under the build dir;
//  2. against the fake board on a pseudo-terminal: the guided calibration end to end (two
//     postures recorded three times each, auto's methods checked on the second takes, the model
//     downloaded and readable by h5py, the package written by the deploy button), a tab closed
//     while recording and an unplugged board in the middle of a take: every frame recorded is in
//     its datalog, in order, and the server keeps serving.
// Usage: node studio_check.js FAKE_BOARD   (env HP_CLI, HP_SHARED_DIR, HP_SOURCE_DIR, HP_BUILD_DIR)
'use strict';
const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const puppeteer = require('puppeteer-core');

const env = (name) => { if (!process.env[name]) throw new Error(`${name} is not set`); return process.env[name]; };
const cli = env('HP_CLI'), shared = env('HP_SHARED_DIR'), source = env('HP_SOURCE_DIR'), build = env('HP_BUILD_DIR');
const fakeBoard = process.argv[2];
const model = path.join(shared, 'models/st_pretrained/CNN2D_ST_HandPosture_VL53L8CX_8classes.h5');
const dataset = path.join(shared, 'data/ST_VL53L8CX_handposture_dataset.zip');
const python = '/usr/bin/python3', refs = path.join(source, 'tests/studio/reference_frames.py');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-studio-'));
const artifacts = path.join(build, 'test-artifacts');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let failures = 0;
const started = Date.now();
function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s  ${what}`);
  if (!ok) failures++;
}
const children = [];

// Starts `handposture studio ARGS` on a free port; resolves with {proc, url}.
function startStudio(args) {
  return new Promise((resolve, reject) => {
    const proc = spawn(cli, ['studio', '--model', model, '--listen', '127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(proc);
    let out = '';
    proc.stderr.on('data', (d) => process.stderr.write(d));
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/http:\/\/127\.0\.0\.1:(\d+)\//);
      if (m) resolve({ proc, url: m[0] });
    });
    proc.on('exit', (code) => reject(new Error(`studio exited with ${code} before serving`)));
  });
}

function stopStudio(proc) {
  return new Promise((resolve) => { proc.removeAllListeners('exit'); proc.on('exit', (code) => resolve(code)); proc.kill('SIGTERM'); });
}

async function waitFor(what, fn, timeoutMs = 15000) {
  const start = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const api = async (url, p, method = 'GET', body) => (await fetch(url + p.slice(1), {
  method, headers: { 'Content-Type': 'application/json' }, body: body && JSON.stringify(body) })).json();

// The scale documented in docs/studio.md, computed here on its own.
function expectedColor(value, max, reversed) {
  const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  let t = Math.min(Math.max(value / max, 0), 1);
  if (reversed) t = 1 - t;
  const x = t * 4, i = Math.min(Math.floor(x), 3), f = x - i;
  return 'rgb(' + stops[i].map((a, k) => Math.round(a + (stops[i + 1][k] - a) * f)).join(', ') + ')';
}

// What the page shows now, read from the DOM in one go (a frame is drawn synchronously).
const snapshot = (page) => page.evaluate(() => {
  const cells = (name) => [...document.querySelectorAll(`#${name}-grid .cell`)].map((c) => ({
    value: Number(c.dataset.value), text: c.textContent, color: getComputedStyle(c).backgroundColor,
    invalid: c.classList.contains('invalid') }));
  return { frame: Number(document.getElementById('frame').textContent), raw: document.getElementById('raw').textContent,
           distance: cells('distance'), signal: cells('signal') };
});

function checkSnapshot(s, frames, label) {
  const f = frames[s.frame];
  if (!f) return check(false, `${label}: frame ${s.frame} is one of the replayed frames`);
  let bad = 0;
  for (let z = 0; z < 64; z++) {
    const d = s.distance[z], g = s.signal[z];
    if (Math.abs(d.value - f.distance[z]) > 1e-3 || Math.abs(g.value - f.signal[z]) > 1e-3) bad++;
    if (d.text !== String(Math.round(f.distance[z]))) bad++;
    if (d.color !== expectedColor(f.distance[z], 1000, true) || g.color !== expectedColor(f.signal[z], 3000, false)) bad++;
    if (d.invalid !== !f.zone_valid[z] || g.invalid !== !f.zone_valid[z]) bad++;
  }
  check(bad === 0, `${label}: frame ${s.frame}: the 2 x 64 cells hold its distance, signal, color and validity (${bad} wrong)`);
  if (f.raw !== null) check(s.raw === (f.raw === 'invalid' ? 'invalid frame' : f.raw), `${label}: frame ${s.frame} shows ${s.raw}, ST: ${f.raw}`);
}

const timing = (page) => page.evaluate(() => ({ first: studio.stats.firstDraw, draw: studio.stats.draw, paint: studio.stats.paint,
                                               events: studio.stats.events }));
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : NaN; };

async function replayPart(browser) {
  execFileSync(python, [refs, 'prepare', dataset, path.join(shared, 'reference/st_vl53l8cx_pretrained_expected.csv'), work]);
  const frames = JSON.parse(fs.readFileSync(path.join(work, 'frames.json')));
  const { proc, url } = await startStudio(['--replay', path.join(work, 'replay'), '--out', path.join(work, 'out1')]);
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 900 });
  await page.goto(url);
  await waitFor('20 frames drawn', async () => (await timing(page)).events >= 20);
  for (let k = 0; k < 3; k++) {
    checkSnapshot(await snapshot(page), frames, 'replay');
    await sleep(700);
  }
  // A second tab, then a reload of the first: both keep drawing.
  const second = await browser.newPage();
  await second.goto(url);
  await waitFor('the second tab drawing', async () => (await timing(second)).events >= 5);
  const t1 = await timing(page);
  await page.reload();
  await waitFor('the reloaded tab drawing', async () => (await timing(page)).events >= 5);
  checkSnapshot(await snapshot(second), frames, 'second tab');
  checkSnapshot(await snapshot(page), frames, 'reloaded tab');
  await waitFor('the end of the replay', async () => (await api(url, '/api/state')).status === 'the replay ended', 20000);
  await sleep(300);
  const t2 = await timing(page), t3 = await timing(second);
  // Every frame each tab drew, against ST's posture.
  const logs = [...(await page.evaluate(() => studio.log)), ...(await second.evaluate(() => studio.log))];
  let wrong = 0, compared = 0;
  for (const e of logs) {
    const f = frames[e.frame];
    if (!f || f.raw === null) continue;
    compared++;
    if ((f.raw === 'invalid') !== !e.valid || (e.valid && e.raw !== f.raw)) wrong++;
  }
  check(compared >= 100 && wrong === 0, `replay: raw posture of ${compared} drawn frames as ST's (${wrong} differ)`);
  const last = await snapshot(page);
  check(last.frame === frames.length - 1, `replay: the last frame drawn is the last replayed (${last.frame})`);
  fs.mkdirSync(artifacts, { recursive: true });
  await page.bringToFront();  // a background tab is not painted, so not captured
  await page.screenshot({ path: path.join(artifacts, 'studio.png'), fullPage: true });
  const draws = [...t1.draw, ...t2.draw, ...t3.draw], paints = [...t1.paint, ...t2.paint, ...t3.paint];
  const firsts = [t1.first, t2.first, t3.first];
  console.log(`figures: first draw after load ${firsts.map((x) => x.toFixed(1)).join(' / ')} ms (first tab, after reload, second tab); ` +
    `event to drawn: median ${pct(draws, 0.5).toFixed(2)} ms, p99 ${pct(draws, 0.99).toFixed(2)}, max ${Math.max(...draws).toFixed(2)}; ` +
    `event to next animation frame (on screen): median ${pct(paints, 0.5).toFixed(1)} ms, max ${Math.max(...paints).toFixed(1)} (${draws.length} frames)`);
  check(firsts.every((x) => x < 1000), 'first frame drawn within 1 s of loading the page');
  check(Math.max(...paints) < 100, 'every frame drawn and on screen within the sensor period (100 ms)');
  await second.close();
  await page.close();
  check(await stopStudio(proc) === 0, 'studio exits with 0 on SIGTERM');
}

function takeFile(take) {
  const dir = take.folder;
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.npz'));
  return files.length === 1 ? path.join(dir, files[0]) : null;
}

function checkTake(take, what) {
  const file = takeFile(take);
  if (!file) return check(false, `${what}: one datalog in ${take.folder}`);
  const r = JSON.parse(execFileSync(python, [refs, 'take', file, work]));
  check(r.frames === take.frames && r.frames > 0 && r.consecutive,
        `${what}: its datalog holds the ${take.frames} frames recorded, consecutive frames of the board's stream (numpy: ${r.frames}, consecutive ${r.consecutive})`);
}

async function boardPart(browser) {
  const board = spawn(fakeBoard, [path.join(work, 'wire.txt'), '10'], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(board);
  const port = await new Promise((resolve) => board.stdout.once('data', (d) => resolve(String(d).trim())));
  const out = path.join(work, 'out2');
  const { proc, url } = await startStudio(['--port', port, '--out', out, '--postures', 'Like,Love', '--record-seconds', '2',
    '--countdown', '1', '--frames', '10', '--base-data', dataset, '--user', 'Tester', '--retrain-epochs', '3']);
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 1000 });
  await page.goto(url);
  await waitFor('frames from the board', async () => (await timing(page)).events >= 3);
  // The guided calibration, as a person would: one click, then wait for the result.
  await page.click('#guided');
  await page.waitForSelector('#result:not([hidden])', { timeout: 200000 }).catch(async (e) => {
    const said = await page.evaluate(() => document.getElementById('message').textContent);
    throw new Error(`${e.message}; the page says "${said}"; state ${JSON.stringify((await api(url, '/api/state')).calibration)}`);
  });
  const state = await api(url, '/api/state');
  const c = state.calibration;
  check(c.status === 'done' && c.calibration_frames === 20 && c.check_frames === 40 && c.held_back_frames === 40,
        `guided calibration: 3 takes a posture; done on 2 x 10 frames of the first, checked on the second (40 frames), measured on the third (40) (${JSON.stringify({ status: c.status, before: c.before, after: c.after, check: c.check_frames, held: c.held_back_frames })})`);
  const takes = state.recordings.takes;
  check(takes.length === 6 && takes.map((t) => t.label).join() === 'Like,Love,Like,Love,Like,Love' && takes.every((t) => t.ended === 'done'),
        `guided calibration: three rounds of a take of Like, then of Love (${takes.map((t) => t.label).join()})`);
  takes.forEach((t, i) => checkTake(t, `take ${i + 1} (${t.label})`));
  // auto: each method checked against the base; the one kept is the most accurate significantly better one, or none
  const significant = c.checked.filter((k) => k.significant);
  const best = significant.reduce((b, k) => (b && b.accuracy >= k.accuracy ? b : k), null);
  check(c.checked.map((k) => k.method).join() === 'fine-tune,last-layer,resume,retrain' &&
        c.method === (best ? best.method : 'none'),
        `auto checked fine-tune, last-layer, resume and retrain and kept ${c.method} (${JSON.stringify(c.checked)})`);
  const said = await page.evaluate(() => document.getElementById('accuracy').textContent);
  check(said.includes(`(${c.method}, calibrated on 20 frames`), `the page names the method applied ("${said}")`);
  const listed = await page.evaluate(() => document.getElementById('checked').textContent);
  check(listed.startsWith('Checked on 40 frames of the second takes') &&
        c.checked.every((k) => listed.includes(`${k.method} ${(100 * k.accuracy).toFixed(1)} %`)),
        `the page lists each method's accuracy on the check takes ("${listed}")`);
  const shown = await page.evaluate(() => [document.getElementById('accuracy').dataset.after,
    [...document.querySelectorAll('#confusion-after td')].reduce((n, td) => n + Number(td.textContent), 0)]);
  check(Number(shown[0]) === c.after && shown[1] === 40,
        `the page shows the accuracy after (${shown[0]}) and a confusion matrix of the 40 held-back frames (${shown[1]})`);
  const downloaded = await page.evaluate(async () => { const r = await fetch('/api/model'); return [...new Uint8Array(await r.arrayBuffer())]; });
  const saved = fs.readFileSync(path.join(out, 'calibrated.h5'));
  check(Buffer.from(downloaded).equals(saved), `the calibrated model downloads (${downloaded.length} bytes, as written)`);
  const h5 = execFileSync(python, ['-c', 'import h5py,sys; f=h5py.File(sys.argv[1]); print(len(list(f["model_weights"])))', path.join(out, 'calibrated.h5')]);
  check(Number(h5) > 0, `h5py reads the calibrated model (${String(h5).trim()} layer groups)`);
  // The deploy button: `handposture deploy` run by the server on the calibrated model.
  await page.click('#deploy-button');
  await page.waitForFunction(() => /wrote|error/.test(document.getElementById('deploy-output').textContent), { timeout: 30000 });
  const deployed = await page.$eval('#deploy-output', (el) => el.textContent);
  const pkg = path.join(out, 'mcu_cortex-m4');
  check(deployed.startsWith(`wrote ${pkg}:`) && fs.existsSync(path.join(pkg, 'README.md')),
        `the deploy button writes the Cortex-M4 package ("${deployed.trim()}")`);
  await page.screenshot({ path: path.join(artifacts, 'studio-calibration.png'), fullPage: true });

  // A tab closed while its take runs (and another reloaded): the server finishes the take.
  const tab = await browser.newPage();
  await tab.goto(url);
  await waitFor('the new tab', async () => (await timing(tab)).events >= 1);
  await tab.click('button.record[data-label="Like"]');
  await waitFor('the take to start', async () => (await api(url, '/api/state')).recordings.active);
  await page.reload();  // the other tab reloads meanwhile
  await tab.close();
  const shownActive = await waitFor('the reloaded page showing the take', async () => page.evaluate(() =>
    !document.getElementById('prompt').hidden && document.getElementById('progress').value > 0 &&
    document.getElementById('prompt-text').textContent));
  check(shownActive === 'Recording Like', `a page reloaded during a take shows it ("${shownActive}")`);
  const afterClose = await waitFor('the take to end', async () => {
    const s = await api(url, '/api/state');
    return !s.recordings.active && s.recordings.takes.length === 7 && s.recordings.takes[6];
  });
  check(afterClose.ended === 'done' && afterClose.frames === 20, `a tab closed mid-take: the take still ends with its 20 frames (${afterClose.ended})`);
  checkTake(afterClose, 'the take of the closed tab');

  // The board unplugged in the middle of a 2 s take: the frames so far are written.
  await api(url, '/api/record/start', 'POST', { label: 'Love' });
  await waitFor('a few frames recorded', async () => { const a = (await api(url, '/api/state')).recordings.active; return a && a.frames >= 5; });
  board.kill('SIGKILL');
  const cut = await waitFor('the take to be cut', async () => {
    const s = await api(url, '/api/state');
    return !s.recordings.active && s.recordings.takes.length === 8 && s.recordings.takes[7];
  });
  check(cut.ended.startsWith('interrupted') && cut.frames >= 5 && cut.frames < 20, `unplugged mid-take: "${cut.ended}", ${cut.frames} frames kept`);
  checkTake(cut, 'the cut take');
  const counters = await page.evaluate(() => ({ malformed: +document.getElementById('malformed').textContent,
                                               dropped: +document.getElementById('dropped').textContent }));
  check(counters.malformed === 1 && counters.dropped >= 2 && counters.dropped % 2 === 0,
        `the page counts the malformed line (${counters.malformed}) and the frames the board skipped (${counters.dropped})`);
  const alive = await api(url, '/api/state');
  check(/vanished|gone|disconnect|unplug|closed|error/i.test(alive.status), `the server is up and says the board is gone ("${alive.status}")`);
  await page.reload();
  await waitFor('the page after the unplug', async () => page.evaluate(() => studio.state !== null));
  const rows = await page.$$eval('#takes tbody tr', (trs) => trs.map((tr) => [...tr.children].slice(0, 3).map((td) => td.textContent)));
  check(JSON.stringify(rows) === JSON.stringify([['Like', '4', '80'], ['Love', '4', String(60 + cut.frames)]]),
        `after a reload the page lists every take (${JSON.stringify(rows)})`);
  await page.close();
  check(await stopStudio(proc) === 0, 'studio exits with 0 on SIGTERM after the board vanished');
}

// Nothing may outlive the test: a watchdog ends it, its server and its board.
setTimeout(() => {
  console.log('FAIL the test took longer than 300 s');
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  process.exit(1);
}, 300000).unref();

(async () => {
  const browser = await puppeteer.launch({ executablePath: '/usr/bin/chromium', headless: true,
                                           args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  try {
    await replayPart(browser);
    await boardPart(browser);
  } catch (e) {
    console.log('FAIL ' + (e.stack || e));
    failures++;
  } finally {
    await browser.close();
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    fs.rmSync(work, { recursive: true, force: true });
  }
  console.log(failures ? `studio_check: ${failures} failed` : 'studio_check: all passed');
  process.exit(failures ? 1 : 0);
})();
