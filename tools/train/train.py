"""Train the model on token streams within a time budget, logging losses to a CSV file."""

import csv
import math
import time

import torch
import torch.nn.functional as F

from model import Llama


class Stream:
    """One concatenated token stream and the offsets where its documents start."""

    def __init__(self, docs_ids, bos, eos):
        self.starts = []
        ids = []
        for doc in docs_ids:
            self.starts.append(len(ids))
            ids.append(bos)
            ids.extend(doc)
            ids.append(eos)
        self.ids = torch.tensor(ids, dtype=torch.long)  # [tokens]

    def window(self, generator, length, at_document_start):
        """Return length + 1 tokens starting at a random document start or a random offset."""
        limit = len(self.ids) - length - 1
        if limit <= 0:
            raise ValueError(f'stream has {len(self.ids)} tokens, fewer than one window of {length + 1}')
        if at_document_start:
            starts = [s for s in self.starts if s <= limit]
            start = starts[int(torch.randint(len(starts), (1,), generator=generator))]
        else:
            start = int(torch.randint(limit + 1, (1,), generator=generator))
        return self.ids[start:start + length + 1]


def make_batch(streams, weights, generator, batch_size, length):
    """Draw batch_size windows: [b, n + 1] token ids, each from a stream picked by weight."""
    rows = []
    for _ in range(batch_size):
        pick = int(torch.multinomial(torch.tensor(weights), 1, generator=generator))
        name = list(streams)[pick]
        rows.append(streams[name].window(generator, length, at_document_start=(name == 'mbpp')))
    return torch.stack(rows)


def fixed_validation_batch(stream, count, length, at_document_start, seed):
    generator = torch.Generator().manual_seed(seed)
    return torch.stack([stream.window(generator, length, at_document_start) for _ in range(count)])


def loss_of(model, batch):
    logits = model(batch[:, :-1])  # [b, n, V]
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), batch[:, 1:].reshape(-1))


def learning_rate(step, planned_steps, peak, warmup):
    """Linear warmup, then cosine decay to a tenth of the peak at planned_steps."""
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, planned_steps - warmup))
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def train(cfg, train_streams, val_streams, options, log, csv_path, checkpoint_path):
    """Run AdamW until the step count or the time budget ends; return a summary dict.

    When options['steps'] is None, the planned step count is estimated from the time of the
    first steps, so the learning-rate schedule fits the budget.
    """
    torch.manual_seed(options['seed'])
    generator = torch.Generator().manual_seed(options['seed'])
    model = Llama(cfg)
    optimizer = torch.optim.AdamW(model.parameters(), lr=options['lr'], betas=(0.9, 0.95),
                                  weight_decay=0.1)
    length = options['seq_len']
    weights = [options['mix'][name] for name in train_streams]
    validation = {name: fixed_validation_batch(s, options['val_windows'], length, name == 'mbpp', 1234)
                  for name, s in val_streams.items()}

    budget_s = options['minutes'] * 60
    planned = options['steps']
    started = time.time()
    step = 0
    tokens = 0
    recent = []
    with open(csv_path, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['step', 'tokens', 'elapsed_s', 'lr', 'train_loss'] + [f'val_loss_{n}' for n in validation])
        while True:
            elapsed = time.time() - started
            if planned is not None and step >= planned:
                break
            if options['max_steps'] is not None and step >= options['max_steps']:
                break
            if elapsed > budget_s:
                log(f'time budget of {options["minutes"]} min reached at step {step}')
                break
            if planned is None and step == 5:
                per_step = elapsed / 5
                planned = max(10, int(budget_s * 0.95 / (per_step * (1 + 1 / options['eval_every']))))
                log(f'{per_step:.1f} s per step, planning {planned} steps')
            lr = learning_rate(step, planned or 1000, options['lr'], options['warmup'])
            for group in optimizer.param_groups:
                group['lr'] = lr
            batch = make_batch(train_streams, weights, generator, options['batch'], length)  # [b, n + 1]
            loss = loss_of(model, batch)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            step += 1
            tokens += batch.shape[0] * length
            recent.append(loss.item())

            if step % options['eval_every'] == 0 or step == planned:
                model.eval()
                with torch.no_grad():
                    val = [loss_of(model, b).item() for b in validation.values()]
                model.train()
                train_loss = sum(recent) / len(recent)
                recent = []
                writer.writerow([step, tokens, round(time.time() - started, 1), f'{lr:.6f}',
                                 f'{train_loss:.4f}'] + [f'{v:.4f}' for v in val])
                f.flush()
                log(f'step {step} train {train_loss:.3f} val ' + ' '.join(f'{v:.3f}' for v in val))
                torch.save({'config': cfg.to_dict(), 'model': model.state_dict(), 'step': step}, checkpoint_path)

        if recent:
            model.eval()
            with torch.no_grad():
                val = [loss_of(model, b).item() for b in validation.values()]
            writer.writerow([step, tokens, round(time.time() - started, 1), f'{lr:.6f}',
                             f'{sum(recent) / len(recent):.4f}'] + [f'{v:.4f}' for v in val])

    torch.save({'config': cfg.to_dict(), 'model': model.state_dict(), 'step': step}, checkpoint_path)
    return {'steps_done': step, 'steps_planned': planned, 'tokens_seen': tokens,
            'seconds': round(time.time() - started, 1)}
