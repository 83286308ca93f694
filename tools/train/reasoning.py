"""Write a synthetic step-by-step reasoning for an MBPP task, ending in a drafted solution.

Phrasing is picked from small pools with a seeded random.Random, so the model sees
several wordings of the same structure instead of memorizing one template.
"""

import ast

RESTATE = [
    'The task: {task}',
    'Restating the problem: {task}',
    'We need to solve this: {task}',
]
SIGNATURE = [
    'The tests call `{name}` with {count} argument{s}, so the function is `{name}({params})`.',
    'From the asserts, the function is named `{name}` and takes {count} argument{s}: `{params}`.',
    'Function name and arguments, read from the tests: `{name}({params})`.',
]
EDGE_INTRO = [
    'Edge cases from the test inputs:',
    'Inputs the tests exercise:',
    'Cases to keep in mind:',
]
PLAN_INTRO = ['Plan:', 'Step-by-step plan:', 'Steps:']
DRAFT = ['Draft:']


def find_call(assert_src):
    """Return (function name, argument sources) of the first call in an assert line, or None."""
    try:
        tree = ast.parse(assert_src.strip())
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            args = [ast.get_source_segment(assert_src.strip(), a) or '?' for a in node.args]
            return node.func.id, args
    return None


def parameter_names(solution, name, count):
    """Return the parameter names of `name` in the solution, or arg1..argN when absent."""
    try:
        tree = ast.parse(solution)
    except SyntaxError:
        tree = None
    if tree is not None:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name == name:
                return [a.arg for a in node.args.args]
    return [f'arg{i + 1}' for i in range(count)]


def describe_input(arg_src):
    """Return a short note about an argument literal that marks an edge case, or None."""
    try:
        value = ast.literal_eval(arg_src)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, (list, tuple, str, dict, set)) and len(value) == 0:
        return f'an empty {type(value).__name__} `{arg_src}`'
    if isinstance(value, (list, tuple)) and len(value) == 1:
        return f'a single-element {type(value).__name__} `{arg_src}`'
    if isinstance(value, (int, float)) and value == 0:
        return 'a zero argument'
    if isinstance(value, (int, float)) and value < 0:
        return f'a negative number `{arg_src}`'
    if isinstance(value, (list, tuple)) and any(isinstance(v, (int, float)) and v < 0 for v in value):
        return f'negative values inside `{arg_src}`'
    if isinstance(value, str) and ' ' in value:
        return f'a string with spaces `{arg_src}`'
    return None


def plan_steps(solution):
    """Derive plan steps from the constructs the reference solution uses."""
    try:
        tree = ast.parse(solution)
    except SyntaxError:
        return ['Work out the result directly from the inputs.', 'Return it.']
    steps = []
    imports = sorted({a.name for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
                      for a in (n.names if isinstance(n, ast.Import) else [ast.alias(n.module or '')])})
    if imports:
        steps.append('Import ' + ', '.join(f'`{m}`' for m in imports if m) + '.')
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
    recursive = any(isinstance(c, ast.Call) and isinstance(c.func, ast.Name) and c.func.id == f.name
                    for f in functions for c in ast.walk(f))
    kinds = {type(n).__name__ for n in ast.walk(tree)}
    if 'ListComp' in kinds or 'GeneratorExp' in kinds or 'DictComp' in kinds or 'SetComp' in kinds:
        steps.append('Build the intermediate values with a comprehension.')
    if 'For' in kinds or 'While' in kinds:
        steps.append('Loop over the input and update the running result.')
    if 'If' in kinds or 'IfExp' in kinds:
        steps.append('Handle the special cases with a condition.')
    if recursive:
        steps.append('Call the function recursively on a smaller input.')
    if not steps or steps[-1].startswith('Import'):
        steps.append('Compute the result with built-in operations.')
    steps.append('Return the result.')
    return steps


def build_reasoning(task, solution, rng):
    """Return the assistant reply for the thinking prompt of one MBPP task."""
    parts = [rng.choice(RESTATE).format(task=task['text'].strip())]
    call = None
    for line in task['test_list']:
        call = find_call(line)
        if call:
            break
    if call:
        name, args = call
        params = parameter_names(solution, name, len(args))
        parts.append(rng.choice(SIGNATURE).format(
            name=name, count=len(args), s='' if len(args) == 1 else 's', params=', '.join(params)))

    notes = []
    for line in task['test_list']:
        found = find_call(line)
        if not found:
            continue
        for arg in found[1]:
            note = describe_input(arg)
            if note and note not in notes:
                notes.append(note)
    if not notes:
        notes.append('the inputs in the tests are ordinary values, so no special case stands out')
    parts.append(rng.choice(EDGE_INTRO) + '\n' + '\n'.join(f'- {n}' for n in notes[:4]))

    steps = plan_steps(solution)
    parts.append(rng.choice(PLAN_INTRO) + '\n' + '\n'.join(f'{i + 1}. {s}' for i, s in enumerate(steps)))
    parts.append(rng.choice(DRAFT) + f'\n```python\n{solution}\n```')
    return '\n\n'.join(parts)
