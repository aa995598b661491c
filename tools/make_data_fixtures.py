#!/usr/bin/env python3
"""Generate the image-resize reference fixtures for NetBlocks' data layer.

Usage:
    /usr/bin/python3 tools/make_data_fixtures.py          # (re)write both files
    /usr/bin/python3 tools/make_data_fixtures.py --check  # regenerate in memory, compare with the files

Writes tests/NetBlocks.Tests/Fixtures/data/resize_pil.safetensors and resize_tensor.safetensors.

The inputs are synthetic 28x28 uint8 images that look roughly like Fashion-MNIST (a garment-like
silhouette with shading and texture, a hard-edged high-contrast pattern, uniform noise); they are
generated here and contain nothing from the dataset.

Two resize paths, because they differ and d2l trains on the first:

* PIL path (`resize_pil`): what d2l's `FashionMNIST(resize=...)` does, i.e.
  `transforms.Compose([transforms.Resize(size), transforms.ToTensor()])` on a PIL 'L' image.
  torchvision 0.14 calls `PIL.Image.resize(size, BILINEAR)`, which resamples the uint8 image with
  Pillow's support-based filter (antialiased when shrinking) in 22-bit fixed point, horizontal
  pass first, each pass rounded back to uint8. ToTensor then divides by 255. We store the uint8
  result (`out_<h>x<w>`, U8) and assert here that ToTensor(result) == stored / 255 exactly.
* tensor path (`resize_tensor`): `F.interpolate(x, size, mode="bilinear", align_corners=False)`
  on the float image x = uint8 / 255 (what `transforms.Resize` does on a float tensor in 0.14,
  antialias off). Stored as F32.

Output is deterministic; the files are read back and compared after writing.
"""

import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
import torchvision.transforms as T
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import safetensors_io  # noqa: E402

REPO = os.path.dirname(HERE)
OUT_DIR = os.path.join(REPO, "tests", "NetBlocks.Tests", "Fixtures", "data")

# (height, width) targets: the d2l resolutions (upsampling), shrinking (antialiased in PIL) and
# non-square / odd sizes so that row and column coefficient tables are exercised separately.
PIL_SIZES = [(56, 56), (96, 96), (224, 224), (14, 14), (20, 20), (40, 20), (27, 29)]
TENSOR_SIZES = [(56, 56), (96, 96), (224, 224), (14, 14), (40, 20)]


def synthetic_images():
    """Three 28x28 uint8 images, shape (3, 28, 28)."""
    rng = np.random.default_rng(20240604)
    yy, xx = np.mgrid[0:28, 0:28].astype(np.float64)

    # 1. a "pullover": torso + sleeves, smooth shading, fabric texture, soft edges, black background.
    torso = (np.abs(xx - 13.5) < 7.5 - 0.08 * (yy - 4)) & (yy > 3) & (yy < 26)
    sleeves = (np.abs(xx - 13.5) < 12.5) & (yy > 4) & (yy < 17) & (np.abs(xx - 13.5) > 6 - 0.3 * (yy - 4))
    mask = (torso | sleeves).astype(np.float64)
    # soften the silhouette with a small box blur
    soft = mask.copy()
    for dy, dx in [(0, 1), (0, -1), (1, 0), (-1, 0)]:
        soft += np.roll(np.roll(mask, dy, 0), dx, 1)
    soft /= 5.0
    shade = 150 + 70 * np.cos((xx - 13.5) / 9.0) - 2.0 * (yy - 14)
    texture = rng.normal(0.0, 12.0, (28, 28))
    img1 = np.clip(soft * (shade + texture), 0, 255)

    # 2. hard edges and extremes: a "sneaker" sole of 255, stripes of 0/255, a single bright pixel.
    img2 = np.zeros((28, 28))
    img2[18:23, 2:26] = 255
    img2[10:18, 6:22] = np.where((xx[10:18, 6:22].astype(int) // 2) % 2 == 0, 255, 40)
    img2[5, 5] = 255
    img2[0, :] = 200  # a bright border row touches the image edge (edge clamping)
    img2[:, 27] = 90

    # 3. uniform noise: every coefficient combination with every value.
    img3 = rng.integers(0, 256, (28, 28))

    return np.stack([img1, img2, img3]).round().astype(np.uint8)


def pil_resize(img_u8, size):
    """d2l's path: Resize on the PIL 'L' image; returns the uint8 result."""
    pil = Image.fromarray(img_u8, mode="L")
    resized = T.Resize(size)(pil)
    out = np.array(resized, dtype=np.uint8)
    # ToTensor is an exact division by 255 of exactly these bytes.
    as_tensor = T.ToTensor()(resized)
    assert torch.equal(as_tensor, torch.from_numpy(out).float().div(255).unsqueeze(0))
    return out


def build():
    imgs = synthetic_images()
    meta_common = {
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "pillow": Image.__version__,
        "generator": "tools/make_data_fixtures.py",
    }

    pil = {"input": torch.from_numpy(imgs.copy())}
    for h, w in PIL_SIZES:
        pil[f"out_{h}x{w}"] = torch.from_numpy(np.stack([pil_resize(im, (h, w)) for im in imgs]))
    pil_meta = dict(meta_common, op="resize_pil", sizes=",".join(f"{h}x{w}" for h, w in PIL_SIZES),
                    note="uint8 results of transforms.Resize on PIL 'L' images (BILINEAR)")

    x = torch.from_numpy(imgs.copy()).float().div(255).unsqueeze(1)  # (3, 1, 28, 28), as ToTensor
    ten = {"input": x[:, 0].clone()}
    for h, w in TENSOR_SIZES:
        y = F.interpolate(x, size=(h, w), mode="bilinear", align_corners=False)[:, 0]
        if h >= 28 and w >= 28:  # torchvision's tensor Resize is the same op (antialias off) when upsampling
            assert torch.equal(y, T.Resize((h, w))(x)[:, 0])
        # keep the file small: the 224 case stores only the first image
        ten[f"out_{h}x{w}"] = (y[:1] if h * w > 100 * 100 else y).contiguous()
    ten_meta = dict(meta_common, op="resize_tensor", sizes=",".join(f"{h}x{w}" for h, w in TENSOR_SIZES),
                    note="F.interpolate bilinear align_corners=False on uint8/255; out_224x224 holds image 0 only")
    return {"resize_pil": (pil, pil_meta), "resize_tensor": (ten, ten_meta)}


def main(argv):
    check = "--check" in argv
    os.makedirs(OUT_DIR, exist_ok=True)
    for name, (tensors, meta) in build().items():
        path = os.path.join(OUT_DIR, name + ".safetensors")
        if check:
            got, _, _ = safetensors_io.load(path)
            same = got.keys() == tensors.keys() and all(torch.equal(got[k], tensors[k]) for k in tensors)
            print(f"{path}: {'up to date' if same else 'DIFFERS'}")
            if not same:
                return 1
            continue
        safetensors_io.save(path, tensors, meta)
        back, back_meta, _ = safetensors_io.load(path)
        assert back.keys() == tensors.keys() and back_meta == meta
        for k, t in tensors.items():
            assert back[k].dtype == t.dtype and torch.equal(back[k], t), k
        print(f"wrote {path} ({os.path.getsize(path)} bytes): "
              + ", ".join(f"{k} {list(t.shape)} {str(t.dtype).replace('torch.', '')}" for k, t in tensors.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
