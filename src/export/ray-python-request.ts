// The request half of the Ray Serve deployment module (export plane), in Python: the OIP error type
// and handlers, the model check and the validation of an infer request's JSON tensors.

/** Python source of the error handling and request validation (uses MODEL_*, INPUTS, OUTPUTS, NORMALIZE...). */
export const RAY_REQUEST_CODE =
  `NUMPY_TYPES = {
    "BOOL": np.bool_, "UINT8": np.uint8, "UINT16": np.uint16, ` +
  `"UINT32": np.uint32, "UINT64": np.uint64,
    "INT8": np.int8, "INT16": ` +
  `np.int16, "INT32": np.int32, "INT64": np.int64,
    "FP16": np.float16, "FP32": ` +
  `np.float32, "FP64": np.float64,
}

api = FastAPI()


class ` +
  `OipError(Exception):
    """A request the deployment refuses: answered with ` +
  `\`status\` and {"error": message}."""

    def __init__(self, status: int, ` +
  `message: str) -> None:
        super().__init__(message)
        self.status = ` +
  `status
        self.message = message


@api.exception_handler(OipError)
async ` +
  `def _oip_error(_request: Request, exc: OipError) -> JSONResponse:
    return ` +
  `JSONResponse({"error": exc.message}, ` +
  `status_code=exc.status)


@api.exception_handler(StarletteHTTPException)
async ` +
  `def _http_error(_request: Request, exc: StarletteHTTPException) -> ` +
  `JSONResponse:
    return JSONResponse({"error": str(exc.detail)}, ` +
  `status_code=exc.status_code)


def _providers() -> List[str]:
    available = ` +
  `ort.get_available_providers()
    if DEVICE == "cpu":
        return ` +
  `["CPUExecutionProvider"]
    if DEVICE == "cuda":
        return ` +
  `["CUDAExecutionProvider"]
    cuda = ["CUDAExecutionProvider"] if ` +
  `"CUDAExecutionProvider" in available else []
    return cuda + ` +
  `["CPUExecutionProvider"]


def _check_model(name: str, version: Optional[str]) ` +
  `-> None:
    if name != MODEL_NAME:
        raise OipError(404, f'model ` +
  `"{name[:64]}" is not served here; this deployment serves {MODEL_NAME} version ` +
  `{MODEL_VERSION}')
    if version is not None and version != ` +
  `MODEL_VERSION:
        raise OipError(404, f'model {MODEL_NAME} version ` +
  `"{version[:16]}" is not served here; this deployment serves version ` +
  `{MODEL_VERSION}')


def _metadata() -> Dict[str, Any]:
    return {"name": ` +
  `MODEL_NAME, "versions": [MODEL_VERSION], "platform": "onnxruntime_onnx", ` +
  `"inputs": INPUTS, "outputs": OUTPUTS}


def _tensor(spec: Dict[str, Any], ` +
  `given: Dict[str, Any], max_rows: int) -> np.ndarray:
    name = ` +
  `spec["name"]
    if given.get("datatype") != spec["datatype"]:
        raise ` +
  `OipError(400, f'input "{name}": datatype {str(given.get("datatype"))[:16]} ` +
  `given, the model takes {spec["datatype"]}')
    shape = given.get("shape")
    ` +
  `if not isinstance(shape, list) or not all(isinstance(d, int) and not ` +
  `isinstance(d, bool) and d >= 0 for d in shape):
        raise OipError(400, ` +
  `f'input "{name}": shape must be a list of whole numbers')
    want = ` +
  `spec["shape"]
    if len(shape) != len(want) or any(w != -1 and w != s for w, s ` +
  `in zip(want, shape)):
        raise OipError(400, f'input "{name}": shape ` +
  `{shape} given, the model takes {want} (-1 is any size)')
    if shape[0] < 1 or ` +
  `shape[0] > max_rows:
        raise OipError(400, f'input "{name}": {shape[0]} ` +
  `rows given, from 1 to {max_rows} are taken')
    dtype = ` +
  `NUMPY_TYPES.get(spec["datatype"])
    if dtype is None:
        raise ` +
  `OipError(400, f'input "{name}": datatype {spec["datatype"]} is not supported by ` +
  `this deployment')
    try:
        array = np.asarray(given.get("data"), ` +
  `dtype=dtype).reshape(-1)
    except (TypeError, ValueError):
        raise ` +
  `OipError(400, f'input "{name}": data must be a (flat or nested) list of ` +
  `{spec["datatype"]} values')
    if array.size != math.prod(shape):
        ` +
  `raise OipError(400, f'input "{name}": {array.size} values given, shape {shape} ` +
  `needs {math.prod(shape)}')
    if array.dtype.kind == "f" and not ` +
  `np.all(np.isfinite(array)):
        raise OipError(400, f'input "{name}": NaN ` +
  `and Infinity are refused')
    return array.reshape(shape)


def ` +
  `_parse_request(body: Any, max_rows: int) -> Tuple[Dict[str, np.ndarray], ` +
  `Optional[List[str]], Any]:
    if not isinstance(body, dict) or not ` +
  `isinstance(body.get("inputs"), list):
        raise OipError(400, 'the body ` +
  `must be a JSON object with an "inputs" list')
    given = {t.get("name"): t for ` +
  `t in body["inputs"] if isinstance(t, dict)}
    known = {t["name"] for t in ` +
  `INPUTS}
    for name in given:
        if name not in known:
            raise ` +
  `OipError(400, f'unknown input "{str(name)[:64]}": the model takes {", ` +
  `".join(sorted(known))}')
    feeds = {}
    for spec in INPUTS:
        if ` +
  `spec["name"] not in given:
            raise OipError(400, f'input ` +
  `"{spec["name"]}" is missing')
        feeds[spec["name"]] = _tensor(spec, ` +
  `given[spec["name"]], max_rows)
    if len({a.shape[0] for a in feeds.values()}) ` +
  `> 1:
        raise OipError(400, "every input must have the same number of ` +
  `rows")
    if NORMALIZE is not None:
        x = ` +
  `feeds[NORMALIZE["input"]]
        feeds[NORMALIZE["input"]] = ((x - ` +
  `np.asarray(NORMALIZE["mean"], dtype=x.dtype)) / np.asarray(NORMALIZE["std"], ` +
  `dtype=x.dtype)).astype(x.dtype)
    wanted = None
    if ` +
  `isinstance(body.get("outputs"), list):
        wanted = [o.get("name") for o in ` +
  `body["outputs"] if isinstance(o, dict)]
        names = {o["name"] for o in ` +
  `OUTPUTS}
        for name in wanted:
            if name not in ` +
  `names:
                raise OipError(400, f'unknown output "{str(name)[:64]}": ` +
  `the model gives {", ".join(sorted(names))}')
    return feeds, wanted, ` +
  `body.get("id")


`;
