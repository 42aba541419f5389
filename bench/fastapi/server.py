"""FastAPI + PyTorch serving of serve's demo CNN+LSTM, the baseline of bench/fastapi-compare.ts.

The plain way such a service is written: one PyTorch module, torch.set_num_threads(1), inference
under torch.inference_mode(), one forward pass per request, JSON in and out. It speaks the part of
the Open Inference Protocol v2 that `serve bench` uses, so the same generator drives both servers:

  GET  /v2, /v2/health/ready, /health         server and health
  GET  /v2/models/{name}                      model metadata (inputs/outputs, -1 = dynamic)
  POST /v2/models/{name}/infer                {"inputs":[{"name","shape","datatype","data"}]}
                                              -> {"model_name","model_version","outputs":[...]}

Environment (read by each uvicorn worker):
  SERVE_FASTAPI_WEIGHTS  JSON file of the demo weights in ONNX layouts, as bench/fastapi-compare.ts
                         writes them from src/model/demo-weights.ts (the same weights and the same
                         per-feature normalization as serve's cnn-lstm/1). Unset: seeded random
                         weights of the default shape (torch.manual_seed(0)) and no normalization.
  SERVE_FASTAPI_BATCH    "1": a batched variant, requests of one worker coalesced into one forward
                         pass of up to SERVE_FASTAPI_MAX_BATCH rows (default 32): the requests that
                         queued while the previous pass ran, and those arriving within
                         SERVE_FASTAPI_WAIT_MS (default 0: no waiting). Default: per request.

Run: python3 -m uvicorn --app-dir bench/fastapi server:app --host 127.0.0.1 --port 8100 --workers 2
"""

import asyncio
import json
import os

import torch
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

torch.set_num_threads(1)

MODEL_NAME = "cnn-lstm"
INPUT, OUTPUT = "x", "probs"
CLASSES = 3
KERNEL = 3


class DemoNet(torch.nn.Module):
    """x [batch, window, features] -> normalize -> Conv1d+ReLU -> LSTM -> last hidden -> Linear -> Softmax."""

    def __init__(self, features, window, channels, hidden, layers):
        super().__init__()
        self.window, self.features = window, features
        self.conv = torch.nn.Conv1d(features, channels, KERNEL, padding=1)
        self.lstm = torch.nn.LSTM(channels, hidden, num_layers=layers)
        self.fc = torch.nn.Linear(hidden, CLASSES)
        self.register_buffer("mean", torch.zeros(features))
        self.register_buffer("std", torch.ones(features))

    def forward(self, x):
        x = (x - self.mean) / self.std
        y = torch.relu(self.conv(x.transpose(1, 2)))  # [batch, channels, window]
        _, (h, _) = self.lstm(y.permute(2, 0, 1))  # time-major, like the ONNX graph
        return torch.softmax(self.fc(h[-1]), dim=-1)


def onnx_gates_to_torch(t, hidden):
    """ONNX stacks LSTM gates as i, o, f, c; PyTorch as i, f, g (=c), o."""
    i, o, f, c = (t[k * hidden : (k + 1) * hidden] for k in range(4))
    return torch.cat([i, f, c, o])


def load_model():
    path = os.environ.get("SERVE_FASTAPI_WEIGHTS")
    if not path:
        torch.manual_seed(0)
        return DemoNet(16, 60, 32, 64, 1).eval()
    with open(path) as f:
        w = json.load(f)
    s = w["shape"]
    F, T, C, H, L = s["features"], s["window"], s["channels"], s["hidden"], s["layers"]
    net = DemoNet(F, T, C, H, L)
    ten = lambda v, *shape: torch.tensor(v, dtype=torch.float32).reshape(*shape)
    with torch.no_grad():
        net.conv.weight.copy_(ten(w["convW"], C, F, KERNEL))
        net.conv.bias.copy_(ten(w["convB"], C))
        for l, layer in enumerate(w["lstm"]):
            n = layer["inputSize"]
            getattr(net.lstm, f"weight_ih_l{l}").copy_(onnx_gates_to_torch(ten(layer["W"], 4 * H, n), H))
            getattr(net.lstm, f"weight_hh_l{l}").copy_(onnx_gates_to_torch(ten(layer["R"], 4 * H, H), H))
            b = ten(layer["B"], 8 * H)
            getattr(net.lstm, f"bias_ih_l{l}").copy_(onnx_gates_to_torch(b[: 4 * H], H))
            getattr(net.lstm, f"bias_hh_l{l}").copy_(onnx_gates_to_torch(b[4 * H :], H))
        net.fc.weight.copy_(ten(w["fcW"], CLASSES, H))
        net.fc.bias.copy_(ten(w["fcB"], CLASSES))
        if w.get("mean"):
            net.mean.copy_(ten(w["mean"], F))
            net.std.copy_(ten(w["std"], F))
    return net.eval()


net = load_model()
with torch.inference_mode():  # the first calls allocate
    for _ in range(3):
        net(torch.zeros(1, net.window, net.features))


class Tensor(BaseModel):
    name: str
    shape: list[int]
    datatype: str
    data: list[float]


class InferRequest(BaseModel):
    inputs: list[Tensor]


app = FastAPI()
METADATA = {
    "name": MODEL_NAME,
    "versions": ["1"],
    "platform": "pytorch",
    "inputs": [{"name": INPUT, "datatype": "FP32", "shape": [-1, net.window, net.features]}],
    "outputs": [{"name": OUTPUT, "datatype": "FP32", "shape": [-1, CLASSES]}],
}


@app.get("/v2")
def server_metadata():
    return {"name": "fastapi-torch", "version": torch.__version__, "extensions": [], "models": [MODEL_NAME]}


@app.get("/health")
@app.get("/v2/health/ready")
@app.get("/v2/health/live")
def health():
    return {"ready": True}


@app.get("/v2/models/{name}")
def model_metadata(name: str):
    if name != MODEL_NAME:
        raise HTTPException(404, f"unknown model {name}")
    return METADATA


def to_tensor(req: InferRequest, name: str):
    if name != MODEL_NAME:
        raise HTTPException(404, f"unknown model {name}")
    t = next((t for t in req.inputs if t.name == INPUT), None)
    if t is None or len(t.shape) != 3 or t.shape[1:] != [net.window, net.features]:
        raise HTTPException(400, f'input "{INPUT}" must have shape [batch, {net.window}, {net.features}]')
    if len(t.data) != t.shape[0] * net.window * net.features:
        raise HTTPException(400, f'input "{INPUT}": data does not match its shape')
    return torch.tensor(t.data, dtype=torch.float32).reshape(t.shape)


def answer(probs):
    return {
        "model_name": MODEL_NAME,
        "model_version": "1",
        "outputs": [{"name": OUTPUT, "datatype": "FP32", "shape": list(probs.shape), "data": probs.flatten().tolist()}],
    }


if os.environ.get("SERVE_FASTAPI_BATCH") != "1":

    @app.post("/v2/models/{name}/infer")
    def infer(name: str, req: InferRequest):
        # A plain def: FastAPI runs it in its thread pool, so the event loop keeps accepting.
        x = to_tensor(req, name)
        with torch.inference_mode():
            return answer(net(x))

else:
    MAX_BATCH = int(os.environ.get("SERVE_FASTAPI_MAX_BATCH", "32"))
    WAIT_S = float(os.environ.get("SERVE_FASTAPI_WAIT_MS", "0")) / 1000
    queue: "asyncio.Queue | None" = None

    def forward(xs):
        with torch.inference_mode():
            return net(torch.cat(xs))

    async def batcher():
        loop = asyncio.get_running_loop()
        while True:
            items = [await queue.get()]
            deadline = loop.time() + WAIT_S
            rows = items[0][0].shape[0]
            while rows < MAX_BATCH:
                if not queue.empty():
                    item = queue.get_nowait()
                else:
                    left = deadline - loop.time()
                    if left <= 0:
                        break
                    try:
                        item = await asyncio.wait_for(queue.get(), left)
                    except asyncio.TimeoutError:
                        break
                items.append(item)
                rows += item[0].shape[0]
            try:
                probs = await loop.run_in_executor(None, forward, [x for x, _ in items])
                at = 0
                for x, fut in items:
                    fut.set_result(probs[at : at + x.shape[0]])
                    at += x.shape[0]
            except Exception as err:  # answer every waiter, keep batching
                for _, fut in items:
                    if not fut.done():
                        fut.set_exception(err)

    @app.on_event("startup")
    async def start_batcher():
        global queue
        queue = asyncio.Queue()
        asyncio.get_running_loop().create_task(batcher())

    @app.post("/v2/models/{name}/infer")
    async def infer_batched(name: str, req: InferRequest):
        x = to_tensor(req, name)
        fut = asyncio.get_running_loop().create_future()
        await queue.put((x, fut))
        return answer(await fut)
