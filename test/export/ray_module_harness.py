"""Runs the exported Ray Serve module's request handling without Ray, FastAPI or ONNX Runtime.

Used by ray-module.test.ts: ray, fastapi, starlette and onnxruntime are replaced by small stand-ins
(decorators that return what they wrap, @serve.batch calling the batch method with one request and
exposing only the setters Ray's batch wrapper has, a session whose output is the mean, min and max
of each row), then the module's own routes are
called and their answers printed as JSON. Needs python3 with numpy.
"""
import asyncio
import importlib.util
import json
import sys
import types

import numpy as np


def install_stand_ins():
    serve = types.ModuleType("ray.serve")

    def deployment(*args, **kwargs):
        def wrap(cls):
            cls.bind = classmethod(lambda c: c)
            return cls
        return wrap

    def batch(max_batch_size, batch_wait_timeout_s):
        def decorate(fn):
            state = {"max": max_batch_size, "wait": batch_wait_timeout_s}

            class Bound:
                def __init__(self, owner):
                    self.owner = owner

                async def __call__(self, item):
                    return (await fn(self.owner, [item]))[0]

                def set_max_batch_size(self, n):
                    state["max"] = n

                def set_batch_wait_timeout_s(self, s):
                    state["wait"] = s

            class Descriptor:
                def __get__(self, owner, cls):
                    return Bound(owner)

            return Descriptor()
        return decorate

    serve.deployment = deployment
    serve.ingress = lambda app: (lambda cls: cls)
    serve.batch = batch
    ray = types.ModuleType("ray")
    ray.serve = serve

    class FastAPI:
        def get(self, path):
            return lambda f: f
        post = get

        def exception_handler(self, exc):
            return lambda f: f

    fastapi = types.ModuleType("fastapi")
    fastapi.FastAPI = FastAPI
    fastapi.Request = object
    responses = types.ModuleType("fastapi.responses")
    responses.JSONResponse = object
    starlette = types.ModuleType("starlette")
    exceptions = types.ModuleType("starlette.exceptions")
    exceptions.HTTPException = Exception

    ort = types.ModuleType("onnxruntime")

    class SessionOptions:
        pass

    class InferenceSession:
        def __init__(self, path, sess_options=None, providers=None):
            self.providers = providers

        def run(self, names, feeds):
            x = next(iter(feeds.values()))
            axes = tuple(range(1, x.ndim))
            return [np.stack([x.mean(axis=axes), x.min(axis=axes), x.max(axis=axes)], axis=1).astype(np.float32)]

    ort.SessionOptions = SessionOptions
    ort.InferenceSession = InferenceSession
    ort.get_available_providers = lambda: ["CPUExecutionProvider"]
    sys.modules.update({
        "ray": ray, "ray.serve": serve, "fastapi": fastapi, "fastapi.responses": responses,
        "starlette": starlette, "starlette.exceptions": exceptions, "onnxruntime": ort,
    })


class FakeRequest:
    def __init__(self, body, headers=None):
        self._body = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.headers = headers or {}

    async def body(self):
        return self._body


async def call(coro):
    try:
        return {"ok": await coro}
    except Exception as exc:  # the module's OipError
        return {"status": getattr(exc, "status", None), "error": getattr(exc, "message", repr(exc))}


async def main(path):
    install_stand_ins()
    spec = importlib.util.spec_from_file_location("serve_oip", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    m = mod.app()
    m.reconfigure({"max_batch_size": mod.MAX_BATCH_SIZE, "batch_wait_timeout_s": mod.BATCH_WAIT_TIMEOUT_S})
    spec_in = mod.INPUTS[0]
    dims = spec_in["shape"][1:]
    # Each row is the normalization's mean: after normalization every value is 0.
    row = np.broadcast_to(np.asarray(mod.NORMALIZE["mean"], dtype=np.float32), dims) if mod.NORMALIZE else np.zeros(dims, np.float32)
    rows = lambda n: np.stack([row] * n)
    def body(n=2, **over):
        t = {"name": spec_in["name"], "datatype": spec_in["datatype"], "shape": [n, *dims], "data": rows(n).reshape(-1).tolist()}
        t.update(over)
        return {"id": "r1", "inputs": [t]}
    out = {
        "providers": m.session.providers,
        "metadata": await call(m.model_metadata(mod.MODEL_NAME)),
        "index": await call(m.repository_index()),
        "live": await call(m.live()),
        "infer": await call(m.infer(mod.MODEL_NAME, FakeRequest(body()))),
        "infer_version": await call(m.infer_version(mod.MODEL_NAME, mod.MODEL_VERSION, FakeRequest(body(1)))),
        "wrong_model": await call(m.infer("other", FakeRequest(body()))),
        "wrong_version": await call(m.infer_version(mod.MODEL_NAME, "99", FakeRequest(body()))),
        "wrong_shape": await call(m.infer(mod.MODEL_NAME, FakeRequest(body(shape=[2, 5])))),
        "wrong_datatype": await call(m.infer(mod.MODEL_NAME, FakeRequest(body(datatype="INT64")))),
        "too_few_values": await call(m.infer(mod.MODEL_NAME, FakeRequest(body(data=[0.0])))),
        "nan": await call(m.infer(mod.MODEL_NAME, FakeRequest(body(data=[float("nan")] + rows(2).reshape(-1).tolist()[1:])))),
        "not_json": await call(m.infer(mod.MODEL_NAME, FakeRequest(b"{"))),
        "missing_input": await call(m.infer(mod.MODEL_NAME, FakeRequest({"inputs": []}))),
        "unknown_output": await call(m.infer(mod.MODEL_NAME, FakeRequest({**body(), "outputs": [{"name": "nope"}]}))),
        "binary": await call(m.infer(mod.MODEL_NAME, FakeRequest(body(), {"inference-header-content-length": "10"}))),
        "too_many_rows": await call(m.infer(mod.MODEL_NAME, FakeRequest(body(mod.MAX_BATCH_SIZE + 1)))),
    }
    m.reconfigure({"max_batch_size": 2, "batch_wait_timeout_s": 0.001})
    out["rows_after_reconfigure"] = await call(m.infer(mod.MODEL_NAME, FakeRequest(body(3))))
    print(json.dumps(out))


asyncio.run(main(sys.argv[1]))
