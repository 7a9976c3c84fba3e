// The helper functions every generated PyTorch module starts with: dlm's semantics where PyTorch's
// differ in spelling (asymmetric padding, zero rows for out-of-range indices), dlm's counter-based
// random numbers (so samples and dropout masks equal dlm's), and safetensors I/O without a dependency.
export const PREAMBLE = `import json
import math
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F


def _gather_rows(table, idx):
    """Rows of table by index (an embedding lookup); indices outside [0, V) give zero rows, as in dlm."""
    v = table.shape[0]
    ok = (idx >= 0) & (idx < v)
    rows = table[idx.clamp(0, v - 1)]
    return rows * ok.reshape(ok.shape + (1,) * (table.dim() - 1)).to(rows.dtype)


def _linrec(a, b, dim, reverse):
    """dlm's linrec: h_0 = b_0, h_k = a_k * h_(k-1) + b_k along dim (from the last entry when reverse)."""
    a, b = a.movedim(dim, 0), b.movedim(dim, 0)
    n = b.shape[0]
    out, h = [None] * n, None
    for k in (range(n - 1, -1, -1) if reverse else range(n)):
        h = b[k] if h is None else a[k] * h + b[k]
        out[k] = h
    return (torch.stack(out, 0) if n else b).movedim(0, dim)


def _imul(x, c):
    """x * c mod 2**32 for 0 <= x < 2**32 held in int64 (c split in 16-bit halves so nothing overflows)."""
    return (x * (c & 0xFFFF) + (((x * (c >> 16)) & 0xFFFF) << 16)) & 0xFFFFFFFF


def _uniform(key, stream, shape, dtype, device):
    """dlm's uniform numbers in [0, 1): a murmur3-style hash of (key, stream, element index)."""
    k = int(key) & 0xFFFFFFFF
    c0 = (((k ^ 0x9E3779B9) * 0x85EBCA6B) & 0xFFFFFFFF) ^ (((stream + 1) * 0xC2B2AE35) & 0xFFFFFFFF)
    i = torch.arange(1, math.prod(shape) + 1, dtype=torch.int64, device=device)
    h = _imul(i, 0x27D4EB2F) ^ c0
    h = _imul(h ^ (h >> 16), 0x85EBCA6B)
    h = _imul(h ^ (h >> 13), 0xC2B2AE35)
    h = h ^ (h >> 16)
    return (h.to(torch.float64) / 4294967296.0).to(dtype).reshape(shape)


def _conv2d(x, w, stride, pad, dilation, groups):
    """dlm's conv2d: NCHW, pad = (top, bottom, left, right)."""
    t, b, l, r = pad
    if t == b and l == r:
        return F.conv2d(x, w, stride=stride, padding=(t, l), dilation=dilation, groups=groups)
    return F.conv2d(F.pad(x, (l, r, t, b)), w, stride=stride, dilation=dilation, groups=groups)


def _conv_transpose2d(g, w, stride, pad, dilation, groups, size):
    """dlm's conv_transpose2d (the input gradient of conv2d) with an output of exactly \`size\`."""
    t, _, l, _ = pad
    full = [(g.shape[2 + i] - 1) * stride[i] - 2 * (t, l)[i] + dilation[i] * (w.shape[2 + i] - 1) + 1 for i in range(2)]
    extra = tuple(max(size[i] - full[i], 0) for i in range(2))
    y = F.conv_transpose2d(g, w, stride=stride, padding=(t, l), output_padding=extra, groups=groups, dilation=dilation)
    return y[:, :, :size[0], :size[1]]


def _im2col(x, k, stride, pad, dilation):
    """Convolution patches [N, C, KH, KW, OH, OW] (dlm lowers conv2d to these and a matmul)."""
    t, b, l, r = pad
    n, c, h, w = x.shape
    oh = (h + t + b - dilation[0] * (k[0] - 1) - 1) // stride[0] + 1
    ow = (w + l + r - dilation[1] * (k[1] - 1) - 1) // stride[1] + 1
    cols = F.unfold(F.pad(x, (l, r, t, b)), k, dilation=dilation, stride=stride)
    return cols.reshape(n, c, k[0], k[1], oh, ow)


def _max_pool2d(x, size, stride, pad, dilation=(1, 1)):
    """Max pooling in floor mode (ceil mode comes as more padding after); padding never wins a window."""
    t, b, l, r = pad
    if t or b or l or r:
        x = F.pad(x, (l, r, t, b), value=-math.inf)
    return F.max_pool2d(x, size, stride, dilation=dilation)


def _max_pool3d(x, size, stride, pad, dilation):
    """3-D max pooling in floor mode; pad = (front, back, top, bottom, left, right)."""
    f, k, t, b, l, r = pad
    if f or k or t or b or l or r:
        x = F.pad(x, (l, r, t, b, f, k), value=-math.inf)
    return F.max_pool3d(x, size, stride, dilation=dilation)


def _add(root, path, value, buffer=False):
    """Registers a parameter (or buffer) under its dotted dlm path, making the submodules on the way."""
    *mods, name = path.split(".")
    for m in mods:
        if m not in root._modules:
            root.add_module(m, nn.Module())
        root = root._modules[m]
    if buffer:
        root.register_buffer(name, value)
    else:
        root.register_parameter(name, value)


def _set_buffer(root, path, value):
    *mods, name = path.split(".")
    for m in mods:
        root = root._modules[m]
    root._buffers[name] = value


class LossModule(nn.Module):
    """The model's loss as forward(): what DistributedDataParallel wraps to train the model."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, *args, **kwargs):
        return self.model.loss(*args, **kwargs)


_DTYPES = {"F32": torch.float32, "F64": torch.float64, "I32": torch.int32, "I64": torch.int64}


def load_safetensors(path):
    """A safetensors file as a dict of tensors (the format of dlm's checkpoints)."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in header.items():
        if k != "__metadata__":
            a, b = v["data_offsets"]
            out[k] = torch.frombuffer(bytearray(data[a:b]), dtype=_DTYPES[v["dtype"]]).reshape(v["shape"]).clone()
    return out


def save_safetensors(path, tensors, metadata):
    """Writes float32 tensors as safetensors (what \`dlm train --init-from\` and \`--checkpoint\` read)."""
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for k, t in tensors.items():
        b = t.detach().to(torch.float32).contiguous().cpu().numpy().tobytes()
        header[k] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
`;
