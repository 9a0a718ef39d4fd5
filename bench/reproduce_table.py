#!/usr/bin/env python3
"""Train the full model, the ablations and the one-stage baseline for the same number of steps, evaluate them on the
same held-out faces at three sketch severities, and write results.json, table.md, severity.png, samples.png.

The same as `cali-sketch reproduce` (chapter 43, `cali_sketch.reproduce.reproduce_cli`); see nbs/44_results.ipynb.

  python bench/reproduce_table.py --demo 24 --steps 3 --model small --backbone random --device cpu --out /tmp/table   # smoke test, minutes
  python bench/reproduce_table.py --demo 160 --size 64 --steps 90 --model small --backbone hed-vgg16 --device cpu --out runs/table-synthetic
  python bench/reproduce_table.py --data data/celeba128-train --eval-data data/celeba128-val --steps 30000 \
      --model paper --backbone hed-vgg16 --batch-size 16 --device cuda --out runs/table-celeba128
"""
import sys
from cali_sketch.reproduce import reproduce_cli

if __name__ == '__main__': sys.exit(reproduce_cli(sys.argv[1:]))
