#!/usr/bin/env python3
"""PyTorch twin of `netblocks train`, for docs/RESULTS.md: the same recipe, side by side.

Same data (the four Fashion-MNIST IDX files), same transform (torchvision Resize on the PIL image, then ToTensor —
d2l's FashionMNIST), the seed's model definitions (d2l VGG / NiN / RegNetX32 with LazyModules), d2l's init_cnn
(Xavier-uniform weights), SGD with the same learning rate, batch 128 shuffled, evaluation on the 10,000 test images
after every epoch. Prints one JSON line per epoch and a final JSON summary.

    /usr/bin/python3 bench/pytorch_train.py vgg11/4 --resize 56 --epochs 3 --data ../shared/data/fashion-mnist
"""
import argparse, gzip, json, os, struct, sys, time

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from PIL import Image
import torchvision.transforms as T


def read_idx(path):
    opener = gzip.open if open(path, 'rb').read(2) == b'\x1f\x8b' else open
    with opener(path, 'rb') as f:
        data = f.read()
    magic, = struct.unpack('>I', data[:4])
    rank = magic & 0xff
    dims = struct.unpack('>' + 'I' * rank, data[4:4 + 4 * rank])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def find(root, stem):
    for name in (stem + '.gz', stem):
        p = os.path.join(root, name)
        if os.path.exists(p):
            return p
    raise FileNotFoundError(f'{stem} not found in {root}')


class FashionMNIST(torch.utils.data.Dataset):
    def __init__(self, root, train, resize, limit=0):
        prefix = 'train' if train else 't10k'
        self.images = read_idx(find(root, f'{prefix}-images-idx3-ubyte'))
        self.labels = read_idx(find(root, f'{prefix}-labels-idx1-ubyte')).astype(np.int64)
        if limit:
            self.images, self.labels = self.images[:limit], self.labels[:limit]
        self.trans = T.Compose([T.Resize((resize, resize)), T.ToTensor()])

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.trans(Image.fromarray(self.images[i], mode='L')), self.labels[i]


# --- the seeds' models (d2l), shared with the fixture scripts -------------------------------------------------------

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
from d2l_models import REGNETX32, d2l_anynet, d2l_nin, d2l_vgg  # noqa: E402

MODELS = {
    'vgg11/4': lambda: d2l_vgg(((1, 16), (1, 32), (2, 64), (2, 128), (2, 128))),
    'vgg11': lambda: d2l_vgg(((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))),
    'vgg19/4': lambda: d2l_vgg(((2, 16), (2, 32), (4, 64), (4, 128), (4, 128))),
    'nin': d2l_nin,
    'regnetx32': lambda: d2l_anynet(REGNETX32, 32),
}
LEARNING_RATES = {'vgg11/4': 0.01, 'vgg11': 0.01, 'vgg19/4': 0.02, 'nin': 0.05, 'regnetx32': 0.05}


def init_cnn(module):  # d2l
    if type(module) in (nn.Linear, nn.Conv2d):
        nn.init.xavier_uniform_(module.weight)


def evaluate(net, loader):
    net.eval()
    loss_sum, correct, seen = 0.0, 0, 0
    with torch.no_grad():
        for X, y in loader:
            out = net(X)
            loss_sum += F.cross_entropy(out, y, reduction='sum').item()
            correct += (out.argmax(1) == y).sum().item()
            seen += len(y)
    net.train()
    return loss_sum / seen, correct / seen


def main():
    p = argparse.ArgumentParser()
    p.add_argument('model', choices=sorted(MODELS))
    p.add_argument('--resize', type=int, required=True)
    p.add_argument('--epochs', type=int, default=10)
    p.add_argument('--batch', type=int, default=128)
    p.add_argument('--lr', type=float)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--limit-train', type=int, default=0)
    p.add_argument('--limit-val', type=int, default=0)
    p.add_argument('--data', default='../shared/data/fashion-mnist')
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    lr = a.lr if a.lr is not None else LEARNING_RATES[a.model]
    train = FashionMNIST(a.data, True, a.resize, a.limit_train)
    val = FashionMNIST(a.data, False, a.resize, a.limit_val)
    train_loader = torch.utils.data.DataLoader(train, a.batch, shuffle=True, num_workers=1)
    val_loader = torch.utils.data.DataLoader(val, a.batch, shuffle=False, num_workers=1)
    net = MODELS[a.model]()
    net(next(iter(train_loader))[0])  # materialise the lazy modules, as d2l's apply_init
    net.apply(init_cnn)
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    history = []
    for epoch in range(a.epochs):
        net.train()
        start = time.time()
        loss_sum, correct, seen = 0.0, 0, 0
        for X, y in train_loader:
            out = net(X)
            loss = F.cross_entropy(out, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(y)
            correct += (out.argmax(1) == y).sum().item()
            seen += len(y)
        train_seconds = time.time() - start
        val_loss, val_acc = evaluate(net, val_loader)
        m = dict(epoch=epoch + 1, train_loss=loss_sum / seen, train_acc=correct / seen, val_loss=val_loss,
                 val_acc=val_acc, seconds=time.time() - start, images_per_s=seen / train_seconds)
        history.append(m)
        print(json.dumps(m), flush=True)
    print(json.dumps(dict(framework='pytorch', torch=torch.__version__, model=a.model, resize=a.resize, lr=lr,
                          batch=a.batch, threads=a.threads, epochs=history, val_acc=history[-1]['val_acc'])), flush=True)


if __name__ == '__main__':
    sys.exit(main())
