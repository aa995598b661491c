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


# --- the seeds' models (d2l) -------------------------------------------------------------------------------------

def vgg_block(num_convs, out_channels):
    layers = []
    for _ in range(num_convs):
        layers.append(nn.LazyConv2d(out_channels, kernel_size=3, padding=1))
        layers.append(nn.ReLU())
    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*layers)


def vgg(arch, num_classes=10):
    return nn.Sequential(*[vgg_block(*a) for a in arch], nn.Flatten(),
                         nn.LazyLinear(4096), nn.ReLU(), nn.Dropout(0.5),
                         nn.LazyLinear(4096), nn.ReLU(), nn.Dropout(0.5),
                         nn.LazyLinear(num_classes))


def nin_block(out_channels, kernel_size, strides, padding):
    return nn.Sequential(
        nn.LazyConv2d(out_channels, kernel_size, strides, padding), nn.ReLU(),
        nn.LazyConv2d(out_channels, kernel_size=1), nn.ReLU(),
        nn.LazyConv2d(out_channels, kernel_size=1), nn.ReLU())


def nin(num_classes=10):
    return nn.Sequential(
        nin_block(96, kernel_size=11, strides=4, padding=0), nn.MaxPool2d(3, stride=2),
        nin_block(256, kernel_size=5, strides=1, padding=2), nn.MaxPool2d(3, stride=2),
        nin_block(384, kernel_size=3, strides=1, padding=1), nn.MaxPool2d(3, stride=2),
        nn.Dropout(0.5),
        nin_block(num_classes, kernel_size=3, strides=1, padding=1),
        nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten())


class ResNeXtBlock(nn.Module):
    def __init__(self, num_channels, groups, bot_mul, use_1x1conv=False, strides=1):
        super().__init__()
        bot_channels = int(round(num_channels * bot_mul))
        self.conv1 = nn.LazyConv2d(bot_channels, kernel_size=1, stride=1)
        self.conv2 = nn.LazyConv2d(bot_channels, kernel_size=3, stride=strides, padding=1, groups=bot_channels // groups)
        self.conv3 = nn.LazyConv2d(num_channels, kernel_size=1, stride=1)
        self.bn1, self.bn2, self.bn3 = nn.LazyBatchNorm2d(), nn.LazyBatchNorm2d(), nn.LazyBatchNorm2d()
        if use_1x1conv:
            self.conv4 = nn.LazyConv2d(num_channels, kernel_size=1, stride=strides)
            self.bn4 = nn.LazyBatchNorm2d()
        else:
            self.conv4 = None

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = F.relu(self.bn2(self.conv2(Y)))
        Y = self.bn3(self.conv3(Y))
        if self.conv4:
            X = self.bn4(self.conv4(X))
        return F.relu(Y + X)


def anynet(arch, stem_channels, num_classes=10):
    net = nn.Sequential(nn.Sequential(nn.LazyConv2d(stem_channels, kernel_size=3, stride=2, padding=1),
                                      nn.LazyBatchNorm2d(), nn.ReLU()))
    for i, (depth, num_channels, groups, bot_mul) in enumerate(arch):
        blk = [ResNeXtBlock(num_channels, groups, bot_mul, use_1x1conv=True, strides=2) if j == 0
               else ResNeXtBlock(num_channels, groups, bot_mul) for j in range(depth)]
        net.add_module(f'stage{i + 1}', nn.Sequential(*blk))
    net.add_module('head', nn.Sequential(nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.LazyLinear(num_classes)))
    return net


MODELS = {
    'vgg11/4': lambda: vgg(((1, 16), (1, 32), (2, 64), (2, 128), (2, 128))),
    'vgg11': lambda: vgg(((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))),
    'vgg19/4': lambda: vgg(((2, 16), (2, 32), (4, 64), (4, 128), (4, 128))),
    'nin': nin,
    'regnetx32': lambda: anynet(((4, 32, 16, 1), (6, 80, 16, 1)), 32),
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
