"""The int8 iris network from the float one: the half of the build that runs in ``.venv-quant``.

Run by :mod:`gazertc.vision.iris_quantize` as a script in the quantizer's own environment
(``make iris-int8``; pinned in ``models/quantizer/requirements.lock``), never imported by gazertc:
it needs only numpy and the AI Edge Quantizer. Arguments: the float ``.tflite``, a ``.npy`` of
``(N, 64, 64, 3)`` float32 calibration crops, the output path.

Steps, each needed by this model (measured in docs/iris-int8.md):

1. The file predates the schema's ``builtin_code`` field (every operator code sits in
   ``deprecated_builtin_code``), so the quantizer would see every operator as ADD: copy the codes.
2. The quantizer calibrates through a SignatureDef, which the file lacks: add ``serving_default``.
3. Static int8 (int8 weights per channel, int8 activations), calibrated with the running minimum
   and maximum over all crops (the quantizer's default moving average clips bright pixels).
4. The two output convolutions stay float (their int8 outputs step 0.3 crop pixels), and the
   quantize operators the quantizer appends to the outputs are removed: outputs are float32.

PReLU, 53 of the network's 169 operators, stays float (the quantizer has no int8 PReLU, and
LiteRT's XNNPACK delegate runs no int8 PReLU: a hand-made int8 PReLU graph ran 7x slower), so
each PReLU sits between a DEQUANTIZE and a QUANTIZE.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
from ai_edge_litert import schema_py_generated as schema
from ai_edge_litert.tools import flatbuffer_utils
from ai_edge_quantizer import algorithm_manager, calibrator, qtyping, quantizer, recipe
from ai_edge_quantizer import recipe_manager as recipes
from ai_edge_quantizer.utils import qsv_utils

SIGNATURE_KEY = "serving_default"
FLOAT_HEAD_REGEX = "conv_iris|conv_eyes_contours_and_brows|output_"
"""Output tensors of the operators kept float: the two output convolutions and their reshapes."""


def _prepared(float_model: bytes) -> tuple[bytes, str]:
    """Steps 1 and 2; returns the model and its input's name."""
    model: Any = flatbuffer_utils.read_model_from_bytearray(bytearray(float_model))
    for code in model.operatorCodes:
        code.builtinCode = max(code.builtinCode, code.deprecatedBuiltinCode)
    graph = model.subgraphs[0]

    def tensor_map(index: int) -> Any:
        entry = schema.TensorMapT()
        entry.name = graph.tensors[index].name.decode()
        entry.tensorIndex = int(index)
        return entry

    signature = schema.SignatureDefT()
    signature.signatureKey = SIGNATURE_KEY
    signature.subgraphIndex = 0
    signature.inputs = [tensor_map(index) for index in graph.inputs]
    signature.outputs = [tensor_map(index) for index in graph.outputs]
    model.signatureDefs = [signature]
    input_name = graph.tensors[graph.inputs[0]].name.decode()
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model)), input_name


def _with_float_outputs(quantized: bytes) -> bytes:
    """Step 4's second half: drop the QUANTIZE operators that produce the graph's outputs."""
    model: Any = flatbuffer_utils.read_model_from_bytearray(bytearray(quantized))
    graph = model.subgraphs[0]
    codes = [max(c.builtinCode, c.deprecatedBuiltinCode) for c in model.operatorCodes]
    outputs = [int(index) for index in graph.outputs]
    kept = []
    for operator in graph.operators:
        produced = int(operator.outputs[0])
        if codes[operator.opcodeIndex] == schema.BuiltinOperator.QUANTIZE and produced in outputs:
            outputs[outputs.index(produced)] = int(operator.inputs[0])
        else:
            kept.append(operator)
    graph.operators = kept
    graph.outputs = outputs
    model.signatureDefs = None  # as the float file: gazertc addresses tensors by name
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def quantize(float_model: bytes, crops: np.ndarray) -> bytes:
    prepared, input_name = _prepared(float_model)
    no_quantize = algorithm_manager.AlgorithmName.NO_QUANTIZE
    engine = quantizer.Quantizer(prepared)
    engine.load_quantization_recipe(recipe.static_wi8_ai8())
    for operation in (qtyping.TFLOperationName.CONV_2D, qtyping.TFLOperationName.RESHAPE):
        engine.update_quantization_recipe(
            regex=FLOAT_HEAD_REGEX, operation_name=operation, algorithm_key=no_quantize
        )
    manager = recipes.RecipeManager()
    manager.load_quantization_recipe(engine.get_quantization_recipe())
    calibration = calibrator.Calibrator(
        prepared, num_threads=1, qsv_update_func=qsv_utils.min_max_update
    )
    samples = [{input_name: crop[None].astype(np.float32)} for crop in crops]
    calibration.calibrate({SIGNATURE_KEY: samples}, manager)
    result = engine.quantize(calibration.get_model_qsvs(), enable_progress_report=False)
    return _with_float_outputs(bytes(result.quantized_model))


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: iris_quantizer_tool.py FLOAT_TFLITE CROPS_NPY OUTPUT_TFLITE", file=sys.stderr)
        return 2
    float_path, crops_path, output_path = (Path(arg) for arg in argv)
    crops = np.load(crops_path)
    output_path.write_bytes(quantize(float_path.read_bytes(), crops))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
