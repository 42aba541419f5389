// The Python deployment module for Ray Serve (export plane, pure): serves model.onnx with ONNX
// Runtime behind @serve.batch over the Open Inference Protocol v2 routes serve's replica answers,
// so `serve bench --url` gates it unchanged. JSON tensors only (no binary extension).
import type { ResolvedModel } from '../model/registry.js';
import type { Profile } from '../profile/types.js';
import { floatSeconds } from './quantities.js';
import { RAY_MODULE_CODE } from './ray-python.js';

/** Module file name and the import path the Serve config names. */
export const RAY_MODULE_FILE = 'serve_oip.py';
export const RAY_IMPORT_PATH = 'serve_oip:app';
/** The deployment's name in code and in the config. */
export const RAY_DEPLOYMENT_NAME = 'OipModel';

/** A Python literal for plain JSON data without booleans or null (lists, numbers, strings). */
function py(v: unknown): string {
  return JSON.stringify(v);
}

/** The module's text: constants from the model and profile `p`, then fixed code. */
export function rayModule(p: Profile, model: ResolvedModel, headerLine: string, serveVersion: string): string {
  const tensor = (t: { name: string; datatype: string; shape: number[] }) => ({
    name: t.name,
    datatype: t.datatype,
    shape: t.shape,
  });
  const norm = model.spec.preprocessing?.normalize;
  const constants = [
    `SERVER_VERSION = ${py(serveVersion)}`,
    `MODEL_NAME = ${py(model.name)}`,
    `MODEL_VERSION = ${py(String(model.version))}`,
    `MODEL_FILE = pathlib.Path(__file__).resolve().parent / "models" / ` +
      `${py(model.name)} / ${py(String(model.version))} / "model.onnx"`,
    `INPUTS = ${py(model.spec.inputs.map(tensor))}`,
    `OUTPUTS = ${py(model.spec.outputs.map(tensor))}`,
    `NORMALIZE = ` + `${norm ? py({ input: norm.input, mean: norm.mean, std: norm.std }) : 'None'}`,
    `# batching.max_batch_size and batching.batch_wait_timeout (the config's ` + `user_config may change them)`,
    `MAX_BATCH_SIZE = ${p.batching.maxBatchSize}`,
    `BATCH_WAIT_TIMEOUT_S = ${floatSeconds(p.batching.batchWaitMs)}`,
    `# runtime.device and runtime.threads`,
    `DEVICE = ${py(p.runtime.device)}`,
    `THREADS = ${p.runtime.threads}`,
  ];
  return (
    `"""${headerLine}

Open Inference Protocol v2 over HTTP, as serve's replica ` +
    `answers it: GET /v2/health/live and
/v2/health/ready, GET /v2, POST ` +
    `/v2/repository/index, GET /v2/models/{name}[/versions/{v}][/ready],
POST ` +
    `/v2/models/{name}[/versions/{v}]/infer with JSON tensors. Errors are {"error": ` +
    `"..."}.
Triton's binary tensor extension is not supported (answered with ` +
    `400).
"""
import asyncio
import json
import math
import pathlib
from typing ` +
    `import Any, Dict, List, Optional, Tuple

import numpy as np
import onnxruntime ` +
    `as ort
from fastapi import FastAPI, Request
from fastapi.responses import ` +
    `JSONResponse
from ray import serve
from starlette.exceptions import ` +
    `HTTPException as StarletteHTTPException

${constants.join('\n')}

` +
    `${RAY_MODULE_CODE}`
  );
}
