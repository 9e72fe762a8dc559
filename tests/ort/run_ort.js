#!/usr/bin/env node
// Runs an ONNX model in ONNX Runtime on raw float32 input tensors and compares every output
// probability with the ones in a handposture `predict` CSV.
//
// usage: node run_ort.js MODEL.onnx INPUTS.bin PREDICTIONS.csv [TOLERANCE]
//   INPUTS.bin: n frames of float32 [H][W][C] back to back (handposture predict --dump-inputs),
//               in the CSV's row order; H, W, C come from the model's input.
// Exits 1 if a probability differs by more than TOLERANCE (default 1e-5) or the counts disagree.
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

async function main() {
  const [modelPath, inputsPath, csvPath, tolArg] = process.argv.slice(2);
  if (!csvPath) throw new Error('usage: node run_ort.js MODEL.onnx INPUTS.bin PREDICTIONS.csv [TOLERANCE]');
  const tolerance = tolArg ? Number(tolArg) : 1e-5;

  const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1 });
  const frameShape = session.inputMetadata[0].shape.slice(1);  // [H, W, C]
  const frameSize = frameShape.reduce((a, b) => a * b, 1);

  const buffer = fs.readFileSync(inputsPath);
  const inputs = new Float32Array(buffer.buffer, buffer.byteOffset, buffer.byteLength / 4);
  const n = inputs.length / frameSize;
  const lines = fs.readFileSync(csvPath, 'utf8').trim().split('\n');
  const header = lines[0].split(',');
  const firstScore = header.indexOf('p0');
  const outputs = header.length - firstScore;
  if (!Number.isInteger(n) || n !== lines.length - 1)
    throw new Error(`${inputsPath}: ${inputs.length} floats is not ${lines.length - 1} frames of ${frameSize}`);

  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', inputs, [n, ...frameShape]) };
  const result = await session.run(feeds);
  const probabilities = result[session.outputNames[0]];
  if (probabilities.dims[0] !== n || probabilities.dims[1] !== outputs)
    throw new Error(`ONNX Runtime output dims ${probabilities.dims} != [${n}, ${outputs}]`);

  let worst = 0, worstAt = '', bad = 0;
  for (let i = 0; i < n; i++) {
    const fields = lines[i + 1].split(',');
    for (let k = 0; k < outputs; k++) {
      const ours = Number(fields[firstScore + k]);
      const theirs = probabilities.data[i * outputs + k];
      const diff = Math.abs(ours - theirs);
      if (!(diff <= tolerance)) bad++;
      if (!(diff <= worst)) { worst = diff; worstAt = `${fields[0]} frame ${fields[1]} p${k}: ours ${ours}, ORT ${theirs}`; }
    }
  }
  console.log(`ONNX Runtime ${ort.env.versions.common}: ${n} frames x ${outputs} probabilities, ` +
              `max |difference| ${worst.toExponential(3)} (${worstAt})`);
  if (bad) {
    console.error(`${bad} probabilities differ by more than ${tolerance}`);
    process.exit(1);
  }
}

main().catch((e) => { console.error(`run_ort.js: ${e.message}`); process.exit(1); });
