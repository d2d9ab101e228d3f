#!/usr/bin/env python3
"""PyTorch peer of bench/train.ts (issue 4): the same models, loss, optimizer and batch on the CPU.

    /usr/bin/python3 bench/pytorch_peer.py --case mnv3-224 [--steps 5 --warmup 2 --threads 2]

Cases: mnv3-224 / mnv3-112 (torchvision mobilenet_v3_small, width 1.0, classifier replaced by
576 -> 256 -> ReLU -> 64), seed2-128 (seed2's CNN, ../shared/seeds/seed2-architecture.md), workshop-64
(lib/models workshopCnn: filters 16/32/64/128, kernels 5/5/3/3, 128-d embedding). 16 pairs
(32 images) per step (--pairs; the workshop case uses 32), random inputs, contrastive loss y*d^2 + (1-y)*max(1-d, 0)^2 (1 = same person,
Euclidean d, mean over pairs), Adam lr 1e-3, training mode. Prints one JSON line with pairs_per_s,
forward_images_per_s (forward of the 32 images, training mode, no autograd) and step_over_forward.
"""
import argparse
import json
import resource
import statistics
import time

import torch
import torch.nn as nn
import torchvision

PAIRS = 16


def mobilenet(size):
    net = torchvision.models.mobilenet_v3_small(weights=None, width_mult=1.0)
    net.classifier = nn.Sequential(nn.Linear(576, 256), nn.ReLU(inplace=True), nn.Linear(256, 64))
    return net


def seed2(size):
    layers, c = [], 3
    for filters, k, pool in [(64, 5, True), (128, 5, True), (256, 3, True), (512, 3, False)]:
        layers += [nn.Conv2d(c, filters, k, padding=k // 2), nn.ReLU(inplace=True), nn.BatchNorm2d(filters)]
        if pool:
            layers.append(nn.MaxPool2d(2, 2))
        c = filters
    side = size // 8
    layers += [nn.Flatten(), nn.Linear(512 * side * side, 1024), nn.ReLU(inplace=True), nn.BatchNorm1d(1024)]
    return nn.Sequential(*layers)


def workshop(size):
    layers, c = [], 3
    for filters, k in [(16, 5), (32, 5), (64, 3), (128, 3)]:
        layers += [nn.Conv2d(c, filters, k, padding=k // 2), nn.ReLU(inplace=True), nn.BatchNorm2d(filters), nn.MaxPool2d(2, 2)]
        c = filters
    side = size // 16
    layers += [nn.Flatten(), nn.Linear(128 * side * side, 128), nn.ReLU(inplace=True), nn.BatchNorm1d(128)]
    return nn.Sequential(*layers)


CASES = {'mnv3-224': (mobilenet, 224), 'mnv3-112': (mobilenet, 112), 'seed2-128': (seed2, 128), 'workshop-64': (workshop, 64)}


def contrastive(ea, eb, same, margin=1.0):
    d = torch.sqrt(torch.clamp(((ea - eb) ** 2).sum(1), min=1e-12))
    return (same * d ** 2 + (1 - same) * torch.clamp(margin - d, min=0) ** 2).mean()


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--case', required=True, choices=sorted(CASES))
    p.add_argument('--steps', type=int, default=5)
    p.add_argument('--warmup', type=int, default=2)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--pairs', type=int, default=PAIRS)
    a = p.parse_args()
    pairs = a.pairs
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    build, size = CASES[a.case]
    net = build(size).train()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.rand(2 * pairs, 3, size, size)
    same = torch.tensor([float(i % 2) for i in range(pairs)])

    def step():
        opt.zero_grad(set_to_none=True)
        e = net(x)
        loss = contrastive(e[:pairs], e[pairs:], same)
        loss.backward()
        opt.step()
        return loss.item()

    def forward():
        with torch.no_grad():
            net(x)

    steps, fwds, cpus, losses = [], [], [], []
    for _ in range(a.warmup):
        losses.append(step())
        forward()
    for _ in range(a.steps):
        t, c = time.perf_counter(), time.process_time()
        losses.append(step())
        steps.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
        t = time.perf_counter()
        forward()
        fwds.append(time.perf_counter() - t)
    s, f = statistics.median(steps), statistics.median(fwds)
    print(json.dumps({
        'case': a.case, 'torch': torch.__version__, 'threads': torch.get_num_threads(),
        'pairs': pairs, 'step_ms': s * 1000, 'step_cpu_ms': statistics.median(cpus) * 1000, 'forward_ms': f * 1000, 'pairs_per_s': pairs / s,
        'forward_images_per_s': 2 * pairs / f, 'step_over_forward': s / f,
        'loss_first': losses[0], 'loss_last': losses[-1],
        'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == '__main__':
    main()
