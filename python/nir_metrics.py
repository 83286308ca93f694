"""Code metrics for generated Python, served as JSON lines over stdin and stdout.

One request per line: {"id": ..., "op": "analyze" | "extract" | "ping", ...}. One reply per line:
{"id": ..., "ok": true, "result": {...}} or {"id": ..., "ok": false, "error": "..."}.

The metric definitions follow radon 5.1 (cyclomatic complexity, Halstead, maintainability
index, raw line counts), reimplemented with the standard library only so that the values are
equal to what `radon cc/hal/mi/raw` report for the same source. Raw counts depend on the
`tokenize` module of the running Python; they were checked with CPython 3.11.
"""

import ast
import builtins
import io
import json
import math
import signal
import sys
import tokenize
import warnings

# Requests larger than this are rejected before parsing.
MAX_SOURCE_CHARS = 1_000_000

FUNCTION_NODES = (ast.FunctionDef, ast.AsyncFunctionDef)


def normalize_newlines(source):
    """Convert \\r\\n and lone \\r to \\n, as Python does when it reads a source file."""
    return source.replace("\r\n", "\n").replace("\r", "\n")


# ---------------------------------------------------------------- syntax


def check_syntax(source):
    """Compile the source and return the verdict with CPython's message and position.

    compile() is stricter than ast.parse: it also rejects `return` outside a function, duplicate
    arguments and similar errors that only the compiler's symbol table finds.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, "<program>", "exec", dont_inherit=True)
    except SyntaxError as error:
        return {"valid": False, "message": error.msg, "line": error.lineno, "offset": error.offset}
    except (ValueError, RecursionError, MemoryError) as error:
        # ValueError: null bytes in the source. The other two: nesting too deep for the parser.
        return {"valid": False, "message": f"{type(error).__name__}: {error}", "line": None, "offset": None}
    return {"valid": True, "message": None, "line": None, "offset": None}


# ---------------------------------------------------------------- cyclomatic complexity


class ComplexityScope:
    """Decision points, functions and classes found directly in one statement (radon's visitor state)."""

    def __init__(self):
        self.points = 0
        self.last_line = -math.inf
        self.functions = []
        self.classes = []


def own_decision_points(node):
    """Count what one node adds to the complexity of its enclosing block, children excluded."""
    # Only a plain try counts here: radon 5.1 gives try/except* (TryStar) no points.
    if type(node) is ast.Try:
        return len(node.handlers) + (1 if node.orelse else 0)
    if isinstance(node, ast.BoolOp):
        return len(node.values) - 1
    if isinstance(node, (ast.If, ast.IfExp)):
        return 1
    if isinstance(node, (ast.For, ast.While, ast.AsyncFor)):
        return 1 + (1 if node.orelse else 0)
    if isinstance(node, ast.comprehension):
        return 1 + len(node.ifs)
    return 0


def walk_complexity(node, scope, as_method, classname):
    """Accumulate decision points of `node` into `scope`; nested functions and classes become blocks."""
    if isinstance(node, FUNCTION_NODES):
        scope.functions.append(function_block(node, as_method, classname))
        return
    if isinstance(node, ast.ClassDef):
        scope.classes.append(class_block(node))
        return
    if isinstance(node, ast.Assert):
        # radon counts an assert as one point and does not look inside it (nor at its line number).
        scope.points += 1
        return
    line = getattr(node, "lineno", None)
    if line is not None and line > scope.last_line:
        scope.last_line = line
    scope.points += own_decision_points(node)
    for child in ast.iter_child_nodes(node):
        walk_complexity(child, scope, as_method, classname)


def function_block(node, as_method, classname):
    """Build the block of one function: 1 plus the decision points of its body, closures apart."""
    complexity = 1
    closures = []
    last_line = -math.inf
    for statement in node.body:
        scope = ComplexityScope()
        walk_complexity(statement, scope, False, None)
        complexity += scope.points
        closures.extend(scope.functions)
        last_line = scope.last_line
    # radon takes the end line from the last body statement only (an assert or def there adds nothing).
    block = {
        "type": "method" if as_method else "function",
        "name": node.name,
        "lineno": node.lineno,
        "col_offset": node.col_offset,
        "endline": max(node.lineno, last_line),
        "complexity": complexity,
        "closures": closures,
    }
    if classname is not None:
        block["classname"] = classname
    return block


def class_block(node):
    """Build the block of one class; its real complexity is 1 plus its own points plus its methods'."""
    real_complexity = 1
    methods = []
    inner_classes = []
    end_candidates = [node.lineno]
    for statement in node.body:
        scope = ComplexityScope()
        walk_complexity(statement, scope, True, node.name)
        methods.extend(scope.functions)
        inner_classes.extend(scope.classes)
        real_complexity += scope.points + sum(method["complexity"] for method in scope.functions)
        end_candidates.append(scope.last_line)
    end_candidates.extend(method["endline"] for method in methods)
    if methods:
        # The figure radon reports for a class: the integer mean over methods, plus 1 when there are several.
        complexity = int(real_complexity / float(len(methods))) + (1 if len(methods) > 1 else 0)
    else:
        complexity = real_complexity
    return {
        "type": "class",
        "name": node.name,
        "lineno": node.lineno,
        "col_offset": node.col_offset,
        "endline": max(end_candidates),
        "complexity": complexity,
        "real_complexity": real_complexity,
        "methods": methods,
        "inner_classes": inner_classes,
    }


def cc_rank(complexity):
    """Letter grade of a complexity: A up to 5, B up to 10, C up to 20, D up to 30, E up to 40, else F."""
    for letter, limit in (("A", 5), ("B", 10), ("C", 20), ("D", 30), ("E", 40)):
        if complexity <= limit:
            return letter
    return "F"


def complexity_report(tree):
    """Return the module's total complexity and the function, class and method blocks radon lists."""
    scope = ComplexityScope()
    walk_complexity(tree, scope, False, None)
    # Module total: 1 + module-level points + every top-level function's and class's points beyond 1.
    total = 1 + scope.points
    total += sum(block["complexity"] - 1 for block in scope.functions)
    total += sum(block["real_complexity"] - 1 for block in scope.classes)
    blocks = list(scope.functions)
    for block in scope.classes:
        blocks.append(block)
        blocks.extend(block["methods"])
    summaries = []
    for block in blocks:
        summary = {key: block[key] for key in ("type", "name", "lineno", "endline", "col_offset", "complexity")}
        if "classname" in block:
            summary["classname"] = block["classname"]
        summary["rank"] = cc_rank(block["complexity"])
        summaries.append(summary)
    values = [block["complexity"] for block in blocks]
    return {
        "cc_total": total,
        "cc_mean": (sum(values) / len(values)) if values else 0.0,
        "cc_max": max(values) if values else 0,
        "cc_blocks": summaries,
    }


# ---------------------------------------------------------------- Halstead


class HalsteadCount:
    """Operators (by name) and operands (by scope and value) seen, with total occurrences."""

    def __init__(self):
        self.operator_names = set()
        self.operand_keys = set()
        self.operator_total = 0
        self.operand_total = 0

    def merge(self, other):
        self.operator_names |= other.operator_names
        self.operand_keys |= other.operand_keys
        self.operator_total += other.operator_total
        self.operand_total += other.operand_total

    def add(self, operators, operands, context):
        self.operator_total += len(operators)
        self.operand_total += len(operands)
        self.operator_names.update(type(op).__name__ for op in operators)
        for operand in operands:
            self.operand_keys.add((context, operand_identity(operand)))


def operand_identity(node):
    """Names, attributes and constants count by value; any other expression is distinct by itself."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Constant):
        # Python set semantics apply, so 1, 1.0 and True are one operand, as in radon.
        return node.value
    return node


def walk_halstead(node, context, count, functions):
    """Count operators and operands under `node`; top-level function reports are appended to `functions`."""
    if isinstance(node, FUNCTION_NODES):
        # Only the body is counted: decorators, defaults and annotations are not.
        body = HalsteadCount()
        for statement in node.body:
            walk_halstead(statement, node.name, body, None)
        count.merge(body)
        if functions is not None:
            functions.append((node.name, body))
        return
    if isinstance(node, ast.BinOp):
        count.add([node.op], [node.left, node.right], context)
    elif isinstance(node, ast.UnaryOp):
        count.add([node.op], [node.operand], context)
    elif isinstance(node, ast.BoolOp):
        count.add([node.op], node.values, context)
    elif isinstance(node, ast.AugAssign):
        count.add([node.op], [node.target, node.value], context)
    elif isinstance(node, ast.Compare):
        count.add(node.ops, node.comparators + [node.left], context)
    for child in ast.iter_child_nodes(node):
        walk_halstead(child, context, count, functions)


def halstead_figures(count):
    """Derive the twelve Halstead figures from the counts."""
    h1 = len(count.operator_names)
    h2 = len(count.operand_keys)
    n1 = count.operator_total
    n2 = count.operand_total
    vocabulary = h1 + h2
    length = n1 + n2
    calculated_length = h1 * math.log2(h1) + h2 * math.log2(h2) if h1 and h2 else 0.0
    volume = length * math.log2(vocabulary) if vocabulary else 0.0
    difficulty = (h1 * n2) / (2.0 * h2) if h2 else 0.0
    effort = difficulty * volume
    return {
        "h1": h1,
        "h2": h2,
        "N1": n1,
        "N2": n2,
        "vocabulary": vocabulary,
        "length": length,
        "calculated_length": calculated_length,
        "volume": volume,
        "difficulty": difficulty,
        "effort": effort,
        "time": effort / 18.0,
        "bugs": volume / 3000.0,
    }


def halstead_report(tree):
    """Return Halstead figures for the module and for each function radon reports (methods included)."""
    total = HalsteadCount()
    functions = []
    walk_halstead(tree, None, total, functions)
    return {
        "total": halstead_figures(total),
        "functions": [{"name": name, **halstead_figures(count)} for name, count in functions],
    }


# ---------------------------------------------------------------- raw line counts


def tokenize_text(text):
    return list(tokenize.generate_tokens(io.StringIO(text).readline))


def next_token_group(lines, start):
    """Tokenize from `lines[start]`, adding lines until the tokens are complete; return (tokens, end)."""
    end = start + 1
    while True:
        try:
            tokens = tokenize_text("\n".join(lines[start:end]))
            if not any(token.type == tokenize.ERRORTOKEN for token in tokens):
                return tokens, end
        except tokenize.TokenError:
            pass
        if end >= len(lines):
            raise SyntaxError(f"line {start + 1}: the tokens starting here never complete (unterminated string or bracket)")
        end += 1


def only_token(tokens, kind):
    """Tell whether the group is one token of `kind` followed by line ends only."""
    trailing = (tokenize.NL, tokenize.NEWLINE, tokenize.ENDMARKER)
    return tokens[0].type == kind and all(token.type in trailing for token in tokens[1:])


def logical_lines(tokens):
    """Count logical lines in a token group: statements split by ';', a compound header with a body on
    the same line counts two, and so does any statement with a ':' that is not its last token."""
    parts = [[]]
    for token in tokens:
        if token.type == tokenize.OP and token.string == ";":
            parts.append([])
        else:
            parts[-1].append(token)
    total = 0
    for part in parts:
        significant = [t for t in part if t.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE)]
        colons = [i for i, t in enumerate(significant) if t.type == tokenize.OP and t.string == ":"]
        if colons:
            # The final part ends with ENDMARKER, so a trailing colon sits at index len - 2. radon applies
            # the same index to parts before a ';', and so does this code, to give equal counts.
            total += 1 if colons[-1] == len(significant) - 2 else 2
        elif any(t.type != tokenize.ENDMARKER for t in significant):
            total += 1
    return total


def raw_counts(source):
    """Count loc, lloc, sloc, comments, multi, blank and single_comments the way radon's raw command does."""
    lines = [line.strip() for line in source.splitlines()]
    counts = {"loc": 0, "lloc": 0, "sloc": 0, "comments": 0, "multi": 0, "blank": 0, "single_comments": 0}
    start = 0
    while start < len(lines):
        tokens, end = next_token_group(lines, start)
        group = lines[start:end]
        counts["comments"] += sum(1 for token in tokens if token.type == tokenize.COMMENT)
        if only_token(tokens, tokenize.COMMENT):
            counts["single_comments"] += 1
        elif only_token(tokens, tokenize.STRING):
            if tokens[0].start[0] == tokens[0].end[0]:
                counts["single_comments"] += 1
            else:
                counts["multi"] += sum(1 for line in group if line)
                counts["blank"] += sum(1 for line in group if not line)
        else:
            counts["sloc"] += sum(1 for line in group if line)
            counts["blank"] += sum(1 for line in group if not line)
        counts["lloc"] += logical_lines(tokens)
        start = end
    counts["loc"] = counts["sloc"] + counts["blank"] + counts["multi"] + counts["single_comments"]
    return counts


# ---------------------------------------------------------------- maintainability index


def maintainability_index(volume, complexity, logical, comment_percent):
    """radon's MI on a 0-100 scale. radon passes logical lines (lloc) as the size term."""
    if volume <= 0 or logical <= 0:
        return 100.0
    raw = (
        171
        - 5.2 * math.log(volume)
        - 0.23 * complexity
        - 16.2 * math.log(logical)
        + 50 * math.sin(math.sqrt(2.46 * math.radians(comment_percent)))
    )
    return min(max(0.0, raw * 100 / 171.0), 100.0)


# ---------------------------------------------------------------- names


def called_function(assert_source):
    """Return the first non-builtin function name that an assert calls, else the first name it calls, else None.

    The fallback covers tasks that ask for a function shadowing a builtin (MBPP task 126 defines `sum`).
    """
    try:
        tree = ast.parse(assert_source.strip())
    except (SyntaxError, ValueError):
        return None
    known = set(dir(builtins))
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)]
    calls.sort(key=lambda node: (node.lineno, node.col_offset))
    for call in calls:
        if call.func.id not in known:
            return call.func.id
    return calls[0].func.id if calls else None


def top_level_names(tree):
    """Return the names bound by top-level statements: defs, classes, imports and assignment targets."""
    names = set()
    for statement in tree.body:
        if isinstance(statement, FUNCTION_NODES + (ast.ClassDef,)):
            names.add(statement.name)
        elif isinstance(statement, (ast.Import, ast.ImportFrom)):
            for alias in statement.names:
                names.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(statement, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            for target in targets:
                names.update(node.id for node in ast.walk(target) if isinstance(node, ast.Name))
    return names


# ---------------------------------------------------------------- extraction


def bound_names(statement):
    """Return the names an assignment statement binds; empty for other statements."""
    if isinstance(statement, ast.Assign):
        targets = statement.targets
    elif isinstance(statement, (ast.AnnAssign, ast.AugAssign)):
        targets = [statement.target]
    else:
        return set()
    return {node.id for target in targets for node in ast.walk(target) if isinstance(node, ast.Name)}


def loaded_names(node):
    return {child.id for child in ast.walk(node) if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load)}


def is_definition(statement):
    """Tell whether a statement is an import, function, class, or a try block that only imports or defines."""
    if isinstance(statement, (ast.Import, ast.ImportFrom, ast.ClassDef) + FUNCTION_NODES):
        return True
    if isinstance(statement, ast.Try):
        parts = statement.body + statement.orelse + [s for handler in statement.handlers for s in handler.body]
        return all(is_definition(s) or isinstance(s, (ast.Pass, ast.Assign)) for s in parts)
    return False


def next_code_line(lines, number):
    """Return the 1-based number of the first non-blank line after line `number`, or None."""
    for index in range(number, len(lines)):
        if lines[index].strip():
            return index + 1
    return None


def extract_program(source):
    """Keep imports, functions, classes and the module-level assignments they need; drop the rest.

    Returns None when the source does not parse, so the caller can fall back to text rules.
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    definitions = [statement for statement in tree.body if is_definition(statement)]
    needed = set()
    for statement in definitions:
        needed |= loaded_names(statement)
    assignments = [s for s in tree.body if bound_names(s)]
    chosen = set()
    changed = True
    while changed:
        # An assignment is needed when a kept statement or a needed assignment reads a name it binds.
        changed = False
        for statement in assignments:
            if id(statement) not in chosen and bound_names(statement) & needed:
                chosen.add(id(statement))
                needed |= loaded_names(statement.value) if statement.value is not None else set()
                changed = True
    selected = [s for s in tree.body if is_definition(s) or id(s) in chosen]
    lines = source.split("\n")
    used = set()
    for statement in selected:
        first = min([statement.lineno] + [d.lineno for d in getattr(statement, "decorator_list", [])])
        used.update(range(first, statement.end_lineno + 1))
    program_lines = []
    for number, line in enumerate(lines, start=1):
        if number in used:
            program_lines.append(line)
        elif not line.strip() and program_lines and next_code_line(lines, number) in used:
            # Blank lines between two kept statements stay, so the layout of the reply survives.
            program_lines.append(line)
    dropped = [type(s).__name__ for s in tree.body if s not in selected]
    return {"program": "\n".join(program_lines).strip("\n"), "dropped": dropped}


# ---------------------------------------------------------------- requests


def analyze(code, first_assert):
    """Compute every metric of one program; figures that cannot be computed are None with a reason."""
    source = normalize_newlines(code)
    result = {
        "characters": len(source),
        "lines": sum(1 for line in source.split("\n") if line.strip()),
        "syntax": check_syntax(source),
        "called_function": called_function(first_assert) if first_assert else None,
        "name_match": None,
        "complexity": None,
        "halstead": None,
        "raw": None,
        "mi": None,
        "errors": {},
    }
    if not result["syntax"]["valid"]:
        return result

    tree = ast.parse(source)
    if result["called_function"] is not None:
        result["name_match"] = result["called_function"] in top_level_names(tree)
    result["complexity"] = complexity_report(tree)
    result["halstead"] = halstead_report(tree)

    try:
        result["raw"] = raw_counts(source)
    except SyntaxError as error:
        result["errors"]["raw"] = str(error)
        return result

    raw = result["raw"]
    comment_percent = (raw["comments"] + raw["multi"]) / float(raw["sloc"]) * 100 if raw["sloc"] else 0
    result["mi"] = maintainability_index(
        result["halstead"]["total"]["volume"], result["complexity"]["cc_total"], raw["lloc"], comment_percent
    )
    return result


def handle(request):
    op = request.get("op")
    if op == "ping":
        return {"python": sys.version.split()[0]}
    field = "code" if op in ("analyze", "extract") else None
    if field is None:
        raise ValueError(f"unknown op {op!r}: expected analyze, extract or ping")
    code = request.get(field)
    if not isinstance(code, str):
        raise ValueError(f"field {field!r} must be a string")
    if len(code) > MAX_SOURCE_CHARS:
        raise ValueError(f"source of {len(code)} characters exceeds the limit of {MAX_SOURCE_CHARS}")
    if op == "analyze":
        first_assert = request.get("first_assert")
        return analyze(code, first_assert if isinstance(first_assert, str) else None)
    return extract_program(normalize_newlines(code))


def serve():
    # Ctrl-C in a terminal reaches the whole process group; the parent decides when to stop, and the
    # helper ends when its stdin closes.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Deeply nested but valid expressions would otherwise exhaust the default limit of 1000.
    sys.setrecursionlimit(20000)
    for line in sys.stdin:
        if not line.strip():
            continue
        request_id = None
        try:
            request = json.loads(line)
            request_id = request.get("id")
            reply = {"id": request_id, "ok": True, "result": handle(request)}
        except RecursionError:
            reply = {"id": request_id, "ok": False, "error": "source nested too deeply to analyze"}
        except Exception as error:  # noqa: BLE001 - one bad request must not stop the helper
            reply = {"id": request_id, "ok": False, "error": f"{type(error).__name__}: {error}"}
        sys.stdout.write(json.dumps(reply, default=repr) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    serve()
