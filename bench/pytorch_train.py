#!/usr/bin/python3
"""PyTorch side of bench/train_vs_pytorch.sh: ST's recipe for CNN2D_ST_HandPosture (Adam 0.01
with Keras' epsilon, batch 32, dropout 0.2, random horizontal flip, ReduceLROnPlateau on
val_loss, validation after every epoch) for a fixed number of epochs on one thread.
The frames are random tensors of the public dataset's 80/20 split sizes: time per epoch does
not depend on the values. Prints one line: "<wall seconds per epoch> <processor seconds per epoch>"."""
import argparse
import time

import torch


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--train-frames", type=int, default=9154)
    p.add_argument("--val-frames", type=int, default=2289)
    a = p.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(42)
    x = torch.randn(a.train_frames, 2, 8, 8)
    y = torch.randint(0, 8, (a.train_frames,))
    xv = torch.randn(a.val_frames, 2, 8, 8)
    yv = torch.randint(0, 8, (a.val_frames,))
    model = torch.nn.Sequential(
        torch.nn.Conv2d(2, 8, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Dropout(0.2),
        torch.nn.Flatten(), torch.nn.Linear(72, 32), torch.nn.ReLU(), torch.nn.Linear(32, 8))
    opt = torch.optim.Adam(model.parameters(), lr=0.01, eps=1e-7)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.1, patience=20, min_lr=1e-4)
    loss_fn = torch.nn.CrossEntropyLoss()
    start, cpu_start = time.perf_counter(), time.process_time()
    for _ in range(a.epochs):
        model.train()
        order = torch.randperm(a.train_frames)
        for i in range(0, a.train_frames, 32):
            idx = order[i:i + 32]
            xb = x[idx]
            flip = torch.rand(len(idx)) < 0.5
            xb = torch.where(flip[:, None, None, None], xb.flip(-1), xb)
            opt.zero_grad()
            loss = loss_fn(model(xb), y[idx])
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            out = model(xv)
            val_loss = loss_fn(out, yv).item()
            (out.argmax(1) == yv).float().mean().item()
        sched.step(val_loss)
    print("%.6f %.6f" % ((time.perf_counter() - start) / a.epochs, (time.process_time() - cpu_start) / a.epochs))


if __name__ == "__main__":
    main()
