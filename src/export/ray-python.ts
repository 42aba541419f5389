// The deployment half of the Ray Serve module (export plane), in Python: the OipModel class and its OIP v2
// routes. ray-module.ts puts the constants above it; the name here is RAY_DEPLOYMENT_NAME there.
import { RAY_REQUEST_CODE } from './ray-python-request.js';

/** Python source after the constants block (uses MODEL_*, INPUTS, OUTPUTS, NORMALIZE, MAX_BATCH_SIZE...). */
export const RAY_MODULE_CODE =
  `${RAY_REQUEST_CODE}` +
  `@serve.deployment(name="OipModel")
@serve.ingress(api)
class OipModel:
    def ` +
  `__init__(self) -> None:
        options = ort.SessionOptions()
        ` +
  `options.intra_op_num_threads = THREADS
        options.inter_op_num_threads = ` +
  `1
        self.session = ort.InferenceSession(str(MODEL_FILE), ` +
  `sess_options=options, providers=_providers())
        self.output_names = ` +
  `[o["name"] for o in OUTPUTS]
        # The most rows one request may carry: the ` +
  `batch size (Ray exposes setters, not a public getter).
        self.max_rows = ` +
  `MAX_BATCH_SIZE

    def reconfigure(self, config: Dict[str, Any]) -> ` +
  `None:
        """The config's user_config: a schedule's profiles may batch ` +
  `differently."""
        self.max_rows = int(config.get("max_batch_size", ` +
  `MAX_BATCH_SIZE))
        ` +
  `self.infer_batch.set_max_batch_size(self.max_rows)
        ` +
  `self.infer_batch.set_batch_wait_timeout_s(float(config.get("batch_wait_timeout_s", ` +
  `BATCH_WAIT_TIMEOUT_S)))

    @serve.batch(max_batch_size=MAX_BATCH_SIZE, ` +
  `batch_wait_timeout_s=BATCH_WAIT_TIMEOUT_S)
    async def infer_batch(self, ` +
  `requests: List[Dict[str, np.ndarray]]) -> List[List[np.ndarray]]:
        rows ` +
  `= [next(iter(r.values())).shape[0] for r in requests]
        feeds = {name: ` +
  `np.concatenate([r[name] for r in requests], axis=0) for name in ` +
  `requests[0]}
        outputs = await ` +
  `asyncio.get_running_loop().run_in_executor(None, self.session.run, ` +
  `self.output_names, feeds)
        answers, start = [], 0
        for n in ` +
  `rows:
            answers.append([o[start:start + n] for o in ` +
  `outputs])
            start += n
        return answers

    async def ` +
  `_infer(self, name: str, version: Optional[str], request: Request) -> Dict[str, ` +
  `Any]:
        _check_model(name, version)
        if ` +
  `"inference-header-content-length" in request.headers:
            raise ` +
  `OipError(400, "the binary tensor extension is not supported by this deployment: ` +
  `send JSON tensors")
        try:
            body = json.loads(await ` +
  `request.body())
        except ValueError:
            raise OipError(400, "the ` +
  `request body is not valid JSON")
        feeds, wanted, request_id = ` +
  `_parse_request(body, self.max_rows)
        outputs = await ` +
  `self.infer_batch(feeds)
        doc: Dict[str, Any] = {"model_name": ` +
  `MODEL_NAME, "model_version": MODEL_VERSION}
        if request_id is not ` +
  `None:
            doc["id"] = request_id
        doc["outputs"] = [
            ` +
  `{"name": spec["name"], "datatype": spec["datatype"], "shape": list(out.shape), ` +
  `"data": out.reshape(-1).tolist()}
            for spec, out in zip(OUTPUTS, ` +
  `outputs)
            if wanted is None or spec["name"] in wanted
        ` +
  `]
        return doc

    @api.get("/v2/health/live")
    async def live(self) ` +
  `-> Dict[str, Any]:
        return {"live": True}

    ` +
  `@api.get("/v2/health/ready")
    async def ready(self) -> Dict[str, ` +
  `Any]:
        return {"ready": True}

    @api.get("/v2")
    async def ` +
  `server_metadata(self) -> Dict[str, Any]:
        return {"name": ` +
  `"serve-export-ray", "version": SERVER_VERSION, "extensions": []}

    ` +
  `@api.post("/v2/repository/index")
    async def repository_index(self) -> ` +
  `List[Dict[str, Any]]:
        return [{"name": MODEL_NAME, "version": ` +
  `MODEL_VERSION, "state": "READY"}]

    @api.get("/v2/models/{name}")
    async ` +
  `def model_metadata(self, name: str) -> Dict[str, Any]:
        ` +
  `_check_model(name, None)
        return _metadata()

    ` +
  `@api.get("/v2/models/{name}/versions/{version}")
    async def ` +
  `version_metadata(self, name: str, version: str) -> Dict[str, Any]:
        ` +
  `_check_model(name, version)
        return _metadata()

    ` +
  `@api.get("/v2/models/{name}/ready")
    async def model_ready(self, name: str) ` +
  `-> Dict[str, Any]:
        _check_model(name, None)
        return {"ready": ` +
  `True}

    @api.get("/v2/models/{name}/versions/{version}/ready")
    async def ` +
  `version_ready(self, name: str, version: str) -> Dict[str, Any]:
        ` +
  `_check_model(name, version)
        return {"ready": True}

    ` +
  `@api.post("/v2/models/{name}/infer")
    async def infer(self, name: str, ` +
  `request: Request) -> Dict[str, Any]:
        return await self._infer(name, ` +
  `None, request)

    @api.post("/v2/models/{name}/versions/{version}/infer")
    ` +
  `async def infer_version(self, name: str, version: str, request: Request) -> ` +
  `Dict[str, Any]:
        return await self._infer(name, version, request)


app ` +
  `= OipModel.bind()
`;
