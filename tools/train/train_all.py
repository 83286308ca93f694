"""Build the bundled code model end to end: corpus, tokenizer, training, GGUF export, golden logits.

Usage: /usr/bin/python3 tools/train/train_all.py --out models/ [--minutes 60] [--steps N]
Needs Debian's python3-torch (1.13). Intermediate files go to --work, outside the repository.
"""

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import torch  # noqa: E402

import bpe  # noqa: E402
import corpus  # noqa: E402
from model import Config  # noqa: E402

MODEL_NAME = 'nir-code-7m'
VOCAB_SIZE = 4096


def log(message):
    print(time.strftime('%H:%M:%S'), message, flush=True)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default=os.path.join(REPO, 'models'), help='folder for the GGUF file')
    parser.add_argument('--work', default='/tmp/nir-bundled-work', help='folder for tokenizer, streams, checkpoint, loss CSV')
    parser.add_argument('--minutes', type=float, default=60.0, help='training time budget in minutes')
    parser.add_argument('--steps', type=int, default=None, help='planned optimizer steps; default: estimated from the budget')
    parser.add_argument('--max-steps', type=int, default=None, help='stop after this many steps even if more are planned')
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--skip-train', action='store_true', help='export the checkpoint already in --work')
    return parser.parse_args()


def prepare_data(args):
    """Build the corpus and tokenizer and return the encoded streams and the data facts."""
    docs, facts = corpus.build_corpus(REPO, args.seed)
    merge_count = VOCAB_SIZE - 256 - len(bpe.SPECIAL_TOKENS)
    log(f'training BPE with {merge_count} merges on the training split')
    merges = bpe.train_merges(docs['mbpp'][0] + docs['stdlib'][0], merge_count)
    tokenizer = bpe.Tokenizer(merges)
    tokenizer.save(os.path.join(args.work, 'tokenizer.json'))
    encoded = {}
    for name, (train_docs, val_docs) in docs.items():
        encoded[name] = ([tokenizer.encode(d) for d in train_docs], [tokenizer.encode(d) for d in val_docs])
        facts[f'{name}_train_docs'] = len(train_docs)
        facts[f'{name}_val_docs'] = len(val_docs)
        facts[f'{name}_train_tokens'] = sum(len(d) + 2 for d in encoded[name][0])
        facts[f'{name}_val_tokens'] = sum(len(d) + 2 for d in encoded[name][1])
        log(f'{name}: {facts[f"{name}_train_tokens"]} train tokens, {facts[f"{name}_val_tokens"]} validation tokens')
    return tokenizer, encoded, facts


def main():
    args = parse_args()
    os.makedirs(args.work, exist_ok=True)
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(2)
    checkpoint = os.path.join(args.work, 'checkpoint.pt')
    facts_path = os.path.join(args.work, 'facts.json')

    if not args.skip_train:
        from train import Stream, train
        tokenizer, encoded, facts = prepare_data(args)
        bos = tokenizer.special_ids['<|begin_of_text|>']
        eos = tokenizer.special_ids['<|end_of_text|>']
        train_streams = {name: Stream(enc[0], bos, eos) for name, enc in encoded.items()}
        val_streams = {name: Stream(enc[1], bos, eos) for name, enc in encoded.items()}
        cfg = Config(vocab_size=tokenizer.vocab_size)
        options = {
            'seed': args.seed, 'lr': 2e-3, 'warmup': 10, 'batch': 4, 'seq_len': 512,
            'mix': {'mbpp': 0.8, 'stdlib': 0.2}, 'val_windows': 4, 'eval_every': 20,
            'minutes': args.minutes, 'steps': args.steps, 'max_steps': args.max_steps,
        }
        log(f'training {cfg} with {options}')
        summary = train(cfg, train_streams, val_streams, options, log,
                        os.path.join(args.work, 'loss.csv'), checkpoint)
        facts.update({'training': summary, 'options': options, 'config': cfg.to_dict(),
                      'torch_version': torch.__version__, 'threads': torch.get_num_threads()})
        with open(facts_path, 'w') as f:
            json.dump(facts, f, indent=2)
        log(f'training done: {summary}')

    from export_all import export_all
    export_all(args.work, args.out, MODEL_NAME, log)


if __name__ == '__main__':
    main()
