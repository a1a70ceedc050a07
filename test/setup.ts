// onnxruntime prints warnings (old opsets, declared-vs-actual shapes) that tests provoke on purpose; keep the
// test log readable by showing only its errors.
import * as ort from 'onnxruntime-node';

ort.env.logLevel = 'error';
