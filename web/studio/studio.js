// handposture studio: draws each frame the server sends (server-sent events) and drives the
// guided calibration through the server's /api endpoints. Plain JS, no build step.
'use strict';

// Fixed scales (docs/studio.md): colors interpolated in RGB between these stops.
const STOPS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
const SCALES = {
  distance: { max: 1000, reversed: true, ticks: [0, 250, 500, 750, '≥1000'] },  // near: bright
  signal: { max: 3000, reversed: false, ticks: [0, 750, 1500, 2250, '≥3000'] },
};

// The color of value v on a scale, as "rgb(r, g, b)".
function scaleColor(scale, v) {
  let t = Math.min(Math.max(v / scale.max, 0), 1);
  if (scale.reversed) t = 1 - t;
  const x = t * (STOPS.length - 1), i = Math.min(Math.floor(x), STOPS.length - 2), f = x - i;
  const c = STOPS[i].map((a, k) => Math.round(a + (STOPS[i + 1][k] - a) * f));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

const $ = (id) => document.getElementById(id);
const studio = {
  state: null,
  log: [],                                            // the last frames drawn: {frame, raw, filtered, valid}
  stats: { firstDraw: null, draw: [], paint: [], events: 0 },  // ms
  guided: null,                                       // {resolve} while waiting for a take to end
};
window.studio = studio;

// --- live view --------------------------------------------------------------------------------

function buildScale(name) {
  const scale = SCALES[name], el = $(name + '-scale');
  const stops = Array.from({ length: 11 }, (_, k) => scaleColor(scale, (scale.max * k) / 10));
  el.innerHTML = `<div class="bar" style="background: linear-gradient(to right, ${stops.join(', ')})"></div>` +
    `<div class="ticks">${scale.ticks.map((t) => `<span>${t}</span>`).join('')}</div>`;
}

function buildGrid(name, zones) {
  const grid = $(name + '-grid'), side = Math.round(Math.sqrt(zones));
  if (grid.children.length === zones) return;
  grid.style.gridTemplateColumns = `repeat(${side}, 1fr)`;
  grid.innerHTML = '';
  for (let z = 0; z < zones; z++) {
    const cell = document.createElement('div');
    cell.className = 'cell';
    cell.dataset.zone = z;
    grid.appendChild(cell);
  }
}

function drawGrid(name, values, valid) {
  buildGrid(name, values.length);
  const cells = $(name + '-grid').children, scale = SCALES[name];
  for (let z = 0; z < values.length; z++) {
    const cell = cells[z], v = values[z];
    cell.dataset.value = v;
    cell.textContent = Math.round(v);
    cell.style.backgroundColor = scaleColor(scale, v);
    cell.classList.toggle('invalid', !valid[z]);
  }
}

function buildScores(names) {
  const el = $('scores');
  el.innerHTML = names.map((n, i) => `<div class="row" data-class="${i}"><span>${n}</span>` +
    '<div class="track"><div class="fill"></div></div><span class="value">0.00</span></div>').join('');
}

function drawScores(scores, top) {
  const rows = $('scores').children;
  if (rows.length !== scores.length) buildScores(studio.state ? studio.state.classes : scores.map((_, i) => 'class' + i));
  for (let i = 0; i < scores.length; i++) {
    rows[i].querySelector('.fill').style.width = (100 * scores[i]).toFixed(1) + '%';
    rows[i].querySelector('.value').textContent = scores[i].toFixed(2);
    rows[i].classList.toggle('top', i === top);
  }
}

function drawFrame(f) {
  drawGrid('distance', f.distance, f.zone_valid);
  drawGrid('signal', f.signal, f.zone_valid);
  let top = 0;
  f.scores.forEach((s, i) => { if (s > f.scores[top]) top = i; });
  drawScores(f.scores, f.valid ? top : -1);
  $('raw').textContent = f.valid ? f.raw_name : 'invalid frame';
  $('filtered').textContent = f.filtered_name;
  $('frame').textContent = f.frame;
  $('fps').textContent = f.fps.toFixed(1);
  $('frames').textContent = f.frames;
  $('invalid').textContent = f.invalid_frames;
  $('malformed').textContent = f.malformed;
  $('dropped').textContent = f.dropped;
  drawTakeProgress(f.recording);
}

function onFrame(event) {
  const t0 = performance.now();
  const f = JSON.parse(event.data);
  drawFrame(f);
  const t1 = performance.now();
  const s = studio.stats;
  if (s.firstDraw === null) s.firstDraw = t1;  // ms since the page started loading
  s.events++;
  s.draw.push(t1 - t0);
  requestAnimationFrame(() => s.paint.push(performance.now() - t0));  // until the frame is on screen
  if (s.draw.length > 2000) { s.draw.splice(0, 1000); s.paint.splice(0, 1000); }
  studio.log.push({ frame: f.frame, raw: f.raw_name, filtered: f.filtered_name, valid: f.valid,
                    distance: f.distance, signal: f.signal, zone_valid: f.zone_valid });
  if (studio.log.length > 600) studio.log.splice(0, 300);
}

// --- calibration ------------------------------------------------------------------------------

async function api(method, path, body) {
  const res = await fetch(path, { method, headers: { 'Content-Type': 'application/json' },
                                  body: body ? JSON.stringify(body) : undefined });
  const json = await res.json();
  if (!res.ok) throw new Error(json.error || res.statusText);
  return json;
}

function message(text) { $('message').textContent = text || ''; }

function drawTakeProgress(active) {
  $('stop').disabled = !active;
  if (!active) return;
  $('prompt').hidden = false;
  $('progress').value = active.frames / active.target;
  if (!studio.guided) $('prompt-text').textContent = `Recording ${active.label}`;
  $('countdown').textContent = `${(active.frames / 10).toFixed(1)} / ${(active.target / 10).toFixed(0)} s`;
}

function drawTakes(state) {
  const rows = state.postures.map((p) => {
    const takes = state.recordings.takes.filter((t) => t.label === p);
    const frames = takes.reduce((n, t) => n + t.frames, 0);
    const last = takes.length ? takes[takes.length - 1].ended : '';
    return `<tr data-posture="${p}"><td>${p}</td><td>${takes.length}</td><td>${frames}</td><td>${last}</td>` +
      `<td><button class="record" data-label="${p}">Record</button></td></tr>`;
  });
  $('takes').tBodies[0].innerHTML = rows.join('');
  for (const b of document.querySelectorAll('button.record'))
    b.onclick = () => recordOne(b.dataset.label).catch((e) => message(e.message));
}

function confusionTable(el, names, m) {
  if (!m) { el.innerHTML = ''; return; }
  const used = names.map((_, i) => i).filter((i) => m[i].some((n) => n > 0) || m.some((r) => r[i] > 0));
  el.innerHTML = '<tr><th>label \\ predicted</th>' + used.map((i) => `<th>${names[i]}</th>`).join('') + '</tr>' +
    used.map((i) => `<tr><th>${names[i]}</th>` +
      used.map((j) => `<td class="${i === j ? 'diag' : ''}">${m[i][j]}</td>`).join('') + '</tr>').join('');
}

function drawCalibration(c) {
  const running = c.status === 'running';
  $('calibrate').disabled = running;
  if (running) message('Calibrating…');
  if (c.status === 'failed') message('Calibration failed: ' + c.error);
  $('result').hidden = c.status !== 'done';
  if (c.status !== 'done') return;
  message('');
  $('accuracy').textContent = c.held_back_frames ?
    `Accuracy on ${c.held_back_frames} frames kept out of calibration: before ${(100 * c.before).toFixed(1)} %, ` +
    `after ${(100 * c.after).toFixed(1)} % (${c.method}, calibrated on ${c.calibration_frames} frames in ${c.seconds.toFixed(1)} s)` :
    'No frames were kept out to measure on: record each posture three times.';
  $('accuracy').dataset.before = c.before;
  $('accuracy').dataset.after = c.after;
  $('checked').textContent = c.checked.length ?
    `Checked on ${c.check_frames} frames of the second takes (base model: ${(100 * c.check_before).toFixed(1)} %): ` +
    c.checked.map((k) => `${k.method} ${(100 * k.accuracy).toFixed(1)} %${k.significant ? ' (significantly better)' : ''}`).join(', ') +
    (c.method === 'none' ? '. No method was significantly better: the model stays as it was.' : `. Kept: ${c.method}.`) :
    'Nothing to check the methods on (no posture recorded three times): fine-tuned, unchecked.';
  confusionTable($('confusion-before'), c.class_names, c.confusion_before);
  confusionTable($('confusion-after'), c.class_names, c.confusion_after);
}

function onState(event) {
  const state = JSON.parse(event.data);
  const first = !studio.state;
  studio.state = state;
  $('source').textContent = state.source;
  $('status').textContent = state.status === 'receiving' ? '' : state.status;
  if (first) {
    buildScores(state.classes);
    if (!$('user').value) $('user').value = state.user;
  }
  $('deploy').textContent = state.deploy_command;
  $('deploy-form').hidden = !state.deploy_targets.length;
  if ($('target').options.length !== state.deploy_targets.length)
    $('target').innerHTML = state.deploy_targets.map((t) => `<option${t === 'cortex-m4' ? ' selected' : ''}>${t}</option>`).join('');
  drawTakes(state);
  drawCalibration(state.calibration);
  const active = state.recordings.active;
  drawTakeProgress(active);
  const takes = state.recordings.takes;
  if (!active && studio.guided && takes.length > studio.guided.takes) {  // our take, not an older one
    const g = studio.guided;
    studio.guided = null;
    g.resolve(takes[takes.length - 1]);
  }
  if (!active && !studio.busy) $('prompt').hidden = true;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// One take of a posture: the prompt, a countdown, then the server records until the take is full.
async function recordOne(label, round, rounds) {
  const secs = studio.state.record_seconds;
  studio.busy = true;
  try {
    $('prompt').hidden = false;
    $('progress').value = 0;
    $('prompt-text').textContent =
      `Show ${label} for ${secs} s, moving your hand nearer, farther, left and right` +
      (rounds > 1 ? ` (take ${round} of ${rounds})` : '');
    for (let n = studio.state.countdown_seconds; n > 0; n--) {
      $('countdown').textContent = n;
      await sleep(1000);
    }
    $('countdown').textContent = 'go';
    const before = studio.state.recordings.takes.length;
    const ended = new Promise((resolve) => { studio.guided = { resolve, takes: before }; });
    await api('POST', '/api/record/start', { label, user: $('user').value });
    const take = await ended;
    if (!take || take.ended !== 'done') throw new Error(`the take of ${label} ended early (${take ? take.ended : '?'}); its frames are kept`);
    return take;
  } finally {
    studio.guided = null;
    studio.busy = false;
  }
}

async function guidedCalibration() {
  $('guided').disabled = true;
  message('');
  try {
    // in rounds, so the takes of a posture are apart as a person's recordings would be
    const takes = studio.state.takes;
    for (let t = 1; t <= takes; t++)
      for (const p of studio.state.postures) await recordOne(p, t, takes);
    $('prompt').hidden = true;
    await api('POST', '/api/calibrate');
  } catch (e) {
    message(e.message);
  } finally {
    $('guided').disabled = false;
  }
}

// The calibrated model as a C package (`handposture deploy` run by the server).
async function deploy() {
  const out = $('deploy-output');
  $('deploy-button').disabled = true;
  out.hidden = false;
  out.classList.remove('failed');
  out.textContent = 'Writing the package…';
  try {
    const res = await fetch('/api/deploy', { method: 'POST', headers: { 'Content-Type': 'application/json' },
                                            body: JSON.stringify({ target: $('target').value }) });
    const r = await res.json();
    out.textContent = r.output || r.error;
    out.classList.toggle('failed', !res.ok);
  } catch (e) {
    out.textContent = e.message;
    out.classList.add('failed');
  } finally {
    $('deploy-button').disabled = false;
  }
}

function connect() {
  const events = new EventSource('/events');
  events.addEventListener('frame', onFrame);
  events.addEventListener('state', onState);
  events.onerror = () => { $('status').textContent = 'reconnecting to the server…'; };
}

buildScale('distance');
buildScale('signal');
$('guided').onclick = guidedCalibration;
$('stop').onclick = () => api('POST', '/api/record/stop').catch((e) => message(e.message));
$('deploy-button').onclick = deploy;
$('calibrate').onclick = () => api('POST', '/api/calibrate').catch((e) => message(e.message));
connect();
