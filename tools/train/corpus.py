"""Build the training documents: MBPP chat turns and Python standard library sources.

MBPP test ids 11-510 and prompt ids 1-10 never enter; only ids 511-974 are read.
"""

import hashlib
import json
import os
import random
import sys

from reasoning import build_reasoning

MBPP_FIRST_ID = 511
MBPP_LAST_ID = 974
THINKING_VARIANTS = 3
# One in this many MBPP tasks and stdlib files goes to the validation split.
VALIDATION_EVERY = 20

STDLIB_ROOT = '/usr/lib/python3.11'
EXCLUDED_DIRS = {'test', 'tests', 'idle_test', 'site-packages', 'dist-packages', '__pycache__'}


def find_mbpp(repo_root):
    """Return the MBPP jsonl path, preferring the repository copy."""
    in_repo = os.path.join(repo_root, 'data', 'mbpp', 'mbpp.jsonl')
    if os.path.exists(in_repo):
        return in_repo
    return '/work/shared/data/mbpp/mbpp.jsonl'


def load_mbpp_tasks(path):
    """Read the MBPP tasks with ids 511-974 from a JSON Lines file."""
    tasks = []
    with open(path, encoding='utf-8') as f:
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                task = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f'{path}:{line_no}: invalid JSON ({e}); expected one MBPP task per line') from e
            task_id = task.get('task_id')
            if not isinstance(task_id, int):
                raise ValueError(f'{path}:{line_no}: task_id is {task_id!r}, expected an integer')
            if MBPP_FIRST_ID <= task_id <= MBPP_LAST_ID:
                tasks.append(task)
    if not tasks:
        raise ValueError(f'{path}: no MBPP tasks with ids {MBPP_FIRST_ID}-{MBPP_LAST_ID} found')
    return tasks


def fill_template(template, task):
    return template.replace('{{task}}', task['text']).replace('{{tests}}', '\n'.join(task['test_list']))


def chat_document(user, assistant):
    """Format one exchange with the same layout as the GGUF chat template."""
    return f'<|user|>\n{user}<|end|>\n<|assistant|>\n{assistant}<|end|>\n'


def mbpp_documents(tasks, code_template, thinking_template, seed):
    """Return (train, validation) lists of chat documents built from MBPP tasks."""
    train, validation = [], []
    for task in tasks:
        solution = task['code'].replace('\r\n', '\n').strip('\n')
        split = validation if task['task_id'] % VALIDATION_EVERY == 0 else train
        code_reply = f'```python\n{solution}\n```'
        split.append(chat_document(fill_template(code_template, task), code_reply))
        for variant in range(THINKING_VARIANTS):
            rng = random.Random(seed * 100003 + task['task_id'] * 31 + variant)
            reasoning = build_reasoning(task, solution, rng)
            split.append(chat_document(fill_template(thinking_template, task), reasoning))
    return train, validation


def stdlib_files(root=STDLIB_ROOT):
    """List the stdlib .py files, sorted, without test folders and installed packages."""
    paths = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in EXCLUDED_DIRS)
        for name in filenames:
            if name.endswith('.py'):
                paths.append(os.path.join(dirpath, name))
    return sorted(paths)


def stdlib_documents(paths, root=STDLIB_ROOT):
    """Return (train, validation, file list sha256) for the stdlib sources."""
    train, validation = [], []
    listing = hashlib.sha256()
    for index, path in enumerate(paths):
        listing.update(os.path.relpath(path, root).encode() + b'\n')
        with open(path, 'rb') as f:
            text = f.read().decode('utf-8', errors='replace')
        (validation if index % VALIDATION_EVERY == 0 else train).append(text)
    return train, validation, listing.hexdigest()


def build_corpus(repo_root, seed):
    """Collect every document and the facts the model card records about them."""
    with open(os.path.join(repo_root, 'prompts', 'code.txt'), encoding='utf-8') as f:
        code_template = f.read()
    with open(os.path.join(repo_root, 'prompts', 'thinking.txt'), encoding='utf-8') as f:
        thinking_template = f.read()
    mbpp_path = find_mbpp(repo_root)
    tasks = load_mbpp_tasks(mbpp_path)
    mbpp_train, mbpp_val = mbpp_documents(tasks, code_template, thinking_template, seed)
    paths = stdlib_files()
    std_train, std_val, listing_hash = stdlib_documents(paths)
    facts = {
        'mbpp_path': mbpp_path,
        'mbpp_ids': f'{MBPP_FIRST_ID}-{MBPP_LAST_ID}',
        'mbpp_tasks': len(tasks),
        'mbpp_validation_rule': f'task_id % {VALIDATION_EVERY} == 0',
        'thinking_variants': THINKING_VARIANTS,
        'stdlib_root': STDLIB_ROOT,
        'stdlib_files': len(paths),
        'stdlib_listing_sha256': listing_hash,
        'python_version': sys.version.split()[0],
    }
    return {
        'mbpp': (mbpp_train, mbpp_val),
        'stdlib': (std_train, std_val),
    }, facts
