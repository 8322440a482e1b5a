/** The process-wide onnxruntime-node that tools/jest-environment.js loaded (see there why). */
module.exports = globalThis.__mechintOnnxruntimeNode;
