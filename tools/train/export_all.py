"""Export the trained checkpoint: GGUF file, golden logits for the tests, and the loss curve SVG."""

import hashlib
import json
import os
import shutil

import torch

import bpe
from gguf_export import write_gguf
from loss_svg import write_loss_svg
from model import Config, Llama

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
GREEDY_TOKENS = 48

# Two golden prompts: an MBPP validation task (id 540) in the code template, and plain Python.
GOLDEN_CODE_TASK = 540
GOLDEN_PLAIN_TEXT = 'import os\n\n\ndef read_lines(path):\n    """Return the lines of a text file."""\n'


def code_prompt_text(repo_root):
    """Return the chat-formatted code prompt for the golden MBPP task, ending at the assistant turn."""
    import corpus
    tasks = {t['task_id']: t for t in corpus.load_mbpp_tasks(corpus.find_mbpp(repo_root))}
    with open(os.path.join(repo_root, 'prompts', 'code.txt'), encoding='utf-8') as f:
        user = corpus.fill_template(f.read(), tasks[GOLDEN_CODE_TASK])
    return f'<|user|>\n{user}<|end|>\n<|assistant|>\n'


def greedy(model, ids, count, stop_ids):
    ids = list(ids)
    out = []
    with torch.no_grad():
        for _ in range(count):
            next_id = int(model(torch.tensor([ids]))[0, -1].argmax())
            out.append(next_id)
            ids.append(next_id)
            if next_id in stop_ids:
                break
    return out


def export_all(work, out_dir, name, log):
    checkpoint = torch.load(os.path.join(work, 'checkpoint.pt'))
    cfg = checkpoint['config']
    tokenizer = bpe.Tokenizer.load(os.path.join(work, 'tokenizer.json'))
    model = Llama(Config(**cfg))
    model.load_state_dict(checkpoint['model'])
    model.eval()

    gguf_path = os.path.join(out_dir, f'{name}.gguf')
    size = write_gguf(gguf_path, checkpoint['model'], cfg, tokenizer, name, bpe.SPECIAL_TOKENS)
    with open(gguf_path, 'rb') as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    log(f'wrote {gguf_path}: {size} bytes, sha256 {digest}')

    bos = tokenizer.special_ids['<|begin_of_text|>']
    stop_ids = {tokenizer.special_ids['<|end|>'], tokenizer.special_ids['<|end_of_text|>']}
    prompts = []
    for label, text in [('code_prompt', code_prompt_text(REPO)), ('plain_python', GOLDEN_PLAIN_TEXT)]:
        ids = [bos] + tokenizer.encode(text)
        with torch.no_grad():
            logits = model(torch.tensor([ids]))[0, -1]  # [V]
        continuation = greedy(model, ids, GREEDY_TOKENS, stop_ids)
        prompts.append({
            'name': label,
            'text': text,
            'ids': ids,
            'next_token_logits': [round(float(x), 4) for x in logits],
            'greedy_ids': continuation,
            'greedy_text': tokenizer.decode(continuation),
        })
        log(f'{label} greedy: {tokenizer.decode(continuation)!r}')

    golden = {
        'model_file': os.path.basename(gguf_path),
        'model_sha256': digest,
        'source': 'PyTorch float32 forward pass of the checkpoint before F16 export',
        'prompts': prompts,
    }
    with open(os.path.join(HERE, 'golden.json'), 'w') as f:
        json.dump(golden, f)

    loss_csv = os.path.join(work, 'loss.csv')
    if os.path.exists(loss_csv):
        shutil.copy(loss_csv, os.path.join(HERE, 'loss.csv'))
        write_loss_svg(loss_csv, os.path.join(REPO, 'docs', 'model-loss.svg'))
    facts_path = os.path.join(work, 'facts.json')
    if os.path.exists(facts_path):
        with open(facts_path) as f:
            facts = json.load(f)
        facts.update({'gguf_bytes': size, 'gguf_sha256': digest,
                      'parameters': sum(p.numel() for p in model.parameters())})
        with open(os.path.join(HERE, 'training-facts.json'), 'w') as f:
            json.dump(facts, f, indent=2)
