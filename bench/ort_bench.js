#!/usr/bin/env node
// ONNX Runtime's side of bench/inference_vs_ort.sh: one session with one intra-op thread, timed
// (wall clock and process CPU time, best of repeated runs) on the whole batch of frames and on single frames. Prints JSON.
//
// usage: node ort_bench.js MODEL.onnx INPUTS.bin [SECONDS]
//   INPUTS.bin: float32 frames [H][W][C] back to back (handposture predict --dump-inputs).
'use strict';
const fs = require('fs');
const path = require('path');
// onnxruntime-node is installed under tests/ort by scripts/install-deps.sh.
const ort = require(path.join(__dirname, '..', 'tests', 'ort', 'node_modules', 'onnxruntime-node'));

function seconds(start) { return Number(process.hrtime.bigint() - start) / 1e9; }
// CPU seconds of the whole process since `start` (a process.cpuUsage() value).
function cpuSeconds(start) { const u = process.cpuUsage(start); return (u.user + u.system) / 1e6; }

async function main() {
  const [modelPath, inputsPath, secondsArg] = process.argv.slice(2);
  if (!inputsPath) throw new Error('usage: node ort_bench.js MODEL.onnx INPUTS.bin [SECONDS]');
  const budget = secondsArg ? Number(secondsArg) : 2;
  const session = await ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all'});
  const frameShape = session.inputMetadata[0].shape.slice(1);
  const frameSize = frameShape.reduce((a, b) => a * b, 1);
  const buffer = fs.readFileSync(inputsPath);
  const inputs = new Float32Array(buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength));
  const n = inputs.length / frameSize;
  const inputName = session.inputNames[0];

  // Batched: the whole set in one run, repeated; best run counts (least disturbed by others).
  const batch = { [inputName]: new ort.Tensor('float32', inputs, [n, ...frameShape]) };
  await session.run(batch);
  let best = Infinity, bestCpu = Infinity, runs = 0;
  for (const start = process.hrtime.bigint(); seconds(start) < budget; runs++) {
    const t = process.hrtime.bigint(), c = process.cpuUsage();
    await session.run(batch);
    best = Math.min(best, seconds(t));
    bestCpu = Math.min(bestCpu, cpuSeconds(c));
  }

  // Batch of 1: frames one after another (tensors prepared beforehand), in rounds of up to 1,000
  // frames; the best round counts.
  const singles = [];
  for (let i = 0; i < Math.min(n, 1000); i++)
    singles.push({ [inputName]: new ort.Tensor('float32', inputs.subarray(i * frameSize, (i + 1) * frameSize), [1, ...frameShape]) });
  for (const feeds of singles) await session.run(feeds);
  let single = Infinity, singleCpu = Infinity, calls = 0;
  for (const start = process.hrtime.bigint(); seconds(start) < budget;) {
    const t = process.hrtime.bigint(), c = process.cpuUsage();
    for (const feeds of singles) await session.run(feeds);
    single = Math.min(single, seconds(t) / singles.length);
    singleCpu = Math.min(singleCpu, cpuSeconds(c) / singles.length);
    calls += singles.length;
  }

  console.log(JSON.stringify({
    runtime: `onnxruntime-node ${ort.env.versions.common}`,
    frames: n,
    batch_seconds: best,
    batch_frames_per_second: n / best,
    batch_runs: runs,
    batch_cpu_frames_per_second: n / bestCpu,
    single_frame_seconds: single,
    single_frame_calls: calls,
    single_frame_cpu_seconds: singleCpu,
  }));
}

main().catch((e) => { console.error(`ort_bench.js: ${e.message}`); process.exit(1); });
