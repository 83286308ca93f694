"""Trusted evaluation of MBPP assert statements against an untrusted program.

Import this module BEFORE the program runs: it keeps references to the real
builtins, modules and conversion functions so that later patches by the
program do not change how asserts are judged.

Every value an assert obtains from a call, a name, an attribute or a
subscript is converted to plain built-in types (int, float, str, list,
dict, ...) of the exact type, using the base classes' own C methods.
Comparisons and truth tests then run on those plain values, whose `__eq__`
and `__bool__` cannot be replaced from Python. A value that cannot be
converted (an instance of a class the program defined, for example) makes
the assert an error instead of a pass.

NOTE: the program runs in this same interpreter, so a program that
introspects the harness (gc.get_objects, frame walking, ctypes) can still
reach these references. The sandbox's process limits hold regardless.
"""

import ast
import builtins
import math
import operator
import sys
import types

_ORIGINAL_BUILTINS = dict(builtins.__dict__)

# Modules whose attributes are put back after the program ran, because asserts use them.
_RESTORED_MODULES = {module.__name__: (module, dict(module.__dict__)) for module in (builtins, math, operator)}
_MODULES_BEFORE = dict(sys.modules)

_type = type
_len = len
_isinstance = isinstance
_issubclass = issubclass
_compile = compile
_eval = eval
_list_append = list.append
_dict_items = dict.items
_dict_get = dict.get
_dict_setitem = dict.__setitem__
_list_iter = list.__iter__
_tuple_iter = tuple.__iter__
_set_iter = set.__iter__
_frozenset_iter = frozenset.__iter__
_int_int = int.__int__
_float_float = float.__float__
_complex_complex = complex.__complex__
_str_str = str.__str__
_bytes_getitem = bytes.__getitem__
_bytearray_getitem = bytearray.__getitem__
_bool = bool

_NORMALIZER_NAME = '__nir_plain__'
_ARGUMENT_NAME = '__nir_argument__'
_CALL_NAME = '__nir_call__'

# Exact types returned as they are: equality is identity or value based and
# implemented in C, and Python code cannot subclass-and-override them here
# because only the exact type matches.
_PASS_THROUGH_TYPES = frozenset(
    [
        _type(None),
        _type(Ellipsis),
        _type(NotImplemented),
        bool,
        int,
        float,
        complex,
        str,
        bytes,
        range,
        types.FunctionType,
        types.BuiltinFunctionType,
        types.MethodType,
        types.BuiltinMethodType,
        types.ModuleType,
        types.GeneratorType,
        type,
        map,
        filter,
        zip,
        enumerate,
        reversed,
        _type(iter([])),
        _type(iter(())),
        _type(iter('')),
        _type(iter(range(0))),
        _type(iter({}.keys())),
        _type(iter(set())),
    ]
)


class UntrustedValue(Exception):
    """A value whose comparison or truth test the harness cannot verify."""


def _plain_items(iterator):
    items = []
    for item in iterator:
        _list_append(items, to_plain(item))
    return items


def to_plain(value):
    """Return `value` converted to exact built-in types, or raise UntrustedValue."""
    value_type = _type(value)
    if value_type in _PASS_THROUGH_TYPES:
        return value
    if value_type is list:
        return _plain_items(_list_iter(value))
    if value_type is tuple:
        return tuple(_plain_items(_tuple_iter(value)))
    if value_type is dict:
        return _plain_dict(value)
    if value_type is set:
        return set(_plain_items(_set_iter(value)))
    if value_type is frozenset:
        return frozenset(_plain_items(_frozenset_iter(value)))
    if value_type is bytearray:
        return bytearray(_bytearray_getitem(value, slice(None)))

    # Subclasses (bool cannot be subclassed). issubclass reads the real MRO,
    # and a custom mro() cannot claim a base whose memory layout it lacks.
    if _issubclass(value_type, int):
        return _int_int(value)
    if _issubclass(value_type, float):
        return _float_float(value)
    if _issubclass(value_type, complex):
        return _complex_complex(value)
    if _issubclass(value_type, str):
        return _str_str(value)
    if _issubclass(value_type, bytes):
        return _bytes_getitem(value, slice(None))
    if _issubclass(value_type, tuple):
        # namedtuple and friends: Python compares them as plain tuples.
        return tuple(_plain_items(_tuple_iter(value)))
    if _issubclass(value_type, list):
        return _plain_items(_list_iter(value))
    if _issubclass(value_type, dict):
        # Counter, defaultdict, OrderedDict. NOTE: OrderedDict == OrderedDict
        # is order-sensitive in Python; here it compares like dicts.
        return _plain_dict(value)
    if _issubclass(value_type, frozenset):
        return frozenset(_plain_items(_frozenset_iter(value)))
    if _issubclass(value_type, set):
        return set(_plain_items(_set_iter(value)))
    raise UntrustedValue(
        'the assert used a value of type %s, whose comparison cannot be verified'
        % _type_name(value_type)
    )


def _plain_dict(value):
    plain = {}
    for key, item in _dict_items(value):
        _dict_setitem(plain, to_plain(key), to_plain(item))
    return plain


def _type_name(value_type):
    name = type.__dict__['__qualname__'].__get__(value_type)
    module = type.__dict__['__module__'].__get__(value_type)
    return name if module == 'builtins' else '%s.%s' % (module, name)


class _PlainValueWrapper(ast.NodeTransformer):
    """Rewrite an assert so that every value it reads is checked.

    Values in operators, comparisons and the test itself are converted
    strictly by the normalizer. Values passed straight to a call are
    converted where possible, but may stay objects of the program (a tree
    node built by the setup code, for example). Every call goes through
    call_checked, which lets such objects reach only functions that the
    program or the test defined. Receivers (the function of a call, the
    object of an attribute) are not converted, so lookups still work.
    """

    def _wrap(self, node, lenient=False):
        name = _ARGUMENT_NAME if lenient else _NORMALIZER_NAME
        call = ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=[node], keywords=[])
        return ast.copy_location(call, node)

    def _rewrite_call(self, node):
        function = self._visit_receiver(node.func)
        node.func = ast.copy_location(ast.Name(id=_CALL_NAME, ctx=ast.Load()), node.func)
        node.args = [function] + [self._visit_argument(argument) for argument in node.args]
        for keyword in node.keywords:
            keyword.value = self._visit_argument(keyword.value)
        return node

    def visit_Call(self, node):
        return self._wrap(self._rewrite_call(node))

    def visit_Attribute(self, node):
        node.value = self._visit_receiver(node.value)
        return self._wrap(node) if _isinstance(node.ctx, ast.Load) else node

    def visit_Subscript(self, node):
        self.generic_visit(node)
        return self._wrap(node) if _isinstance(node.ctx, ast.Load) else node

    def visit_Name(self, node):
        return self._wrap(node) if _isinstance(node.ctx, ast.Load) else node

    def _visit_argument(self, node):
        if _isinstance(node, ast.Call):
            return self._wrap(self._rewrite_call(node), lenient=True)
        if _isinstance(node, ast.Name):
            return self._wrap(node, lenient=True)
        if _isinstance(node, ast.Attribute):
            node.value = self._visit_receiver(node.value)
            return self._wrap(node, lenient=True)
        if _isinstance(node, ast.Subscript):
            node.value = self._visit_argument(node.value)
            node.slice = self.visit(node.slice)
            return self._wrap(node, lenient=True)
        if _isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            node.elts = [self._visit_argument(element) for element in node.elts]
            return node
        if _isinstance(node, ast.Dict):
            node.keys = [None if key is None else self._visit_argument(key) for key in node.keys]
            node.values = [self._visit_argument(value) for value in node.values]
            return node
        if _isinstance(node, ast.Starred):
            node.value = self._visit_argument(node.value)
            return node
        return self.visit(node)

    def _visit_receiver(self, node):
        if _isinstance(node, ast.Name):
            return node
        if _isinstance(node, ast.Attribute):
            node.value = self._visit_receiver(node.value)
            return node
        if _isinstance(node, (ast.Call, ast.Subscript)):
            # An object whose attribute is read, like Node(5).value, may be the program's.
            return self._visit_argument(node)
        return self.visit(node)


def to_plain_if_possible(value):
    """Return `value` converted to exact built-in types, or unchanged where it cannot be."""
    try:
        return to_plain(value)
    except UntrustedValue:
        return value


_PROGRAM_FILENAMES = frozenset(['<program>', '<setup>', '<assert>'])
_function_code = types.FunctionType.__dict__['__code__'].__get__
_method_function = types.MethodType.__dict__['__func__'].__get__
_class_module = type.__dict__['__module__'].__get__


def _defined_by_program(function):
    """True for functions, methods and classes written in the program, setup code or assert."""
    function_type = _type(function)
    if function_type is types.MethodType:
        function = _method_function(function)
        function_type = _type(function)
    if function_type is types.FunctionType:
        return _function_code(function).co_filename in _PROGRAM_FILENAMES
    if _issubclass(function_type, type):
        return _class_module(function) == '__main__'
    # A callable instance: its class decides.
    return _class_module(function_type) == '__main__'


def call_checked(function, *args, **kwargs):
    """Call `function`; a function the program did not write gets only plain values.

    Objects of the program may flow into the program's own functions, but a
    builtin or library function (len, math.isclose, ...) would call their
    overridable methods, so such arguments make the assert an error.
    """
    if not _defined_by_program(function):
        args = tuple(_plain_items(_tuple_iter(args)))
        kwargs = _plain_dict(kwargs)
    return function(*args, **kwargs)


class CompiledAssert:
    """One assert statement, parsed and compiled before the program runs."""

    def __init__(self, source):
        self.source = source
        self.code = None
        self.names = frozenset()
        self.syntax_error = None
        try:
            tree = ast.parse(source, '<assert>', 'exec')
            if _len(tree.body) != 1 or not _isinstance(tree.body[0], ast.Assert):
                raise SyntaxError('expected exactly one assert statement')
            test = tree.body[0].test
            self.names = frozenset(node.id for node in ast.walk(test) if _isinstance(node, ast.Name))
            expression = ast.Expression(body=_PlainValueWrapper().visit(test))
            ast.fix_missing_locations(expression)
            self.code = _compile(expression, '<assert>', 'eval')
        except SyntaxError as error:
            self.syntax_error = error.msg


def restore_modules():
    """Undo the program's changes to builtins, math, operator and sys.modules."""
    for module, saved in _RESTORED_MODULES.values():
        namespace = module.__dict__
        for name, value in _dict_items(saved):
            if _dict_get(namespace, name, _RESTORED_MODULES) is not value:
                _dict_setitem(namespace, name, value)
    for name, module in _dict_items(_MODULES_BEFORE):
        if _dict_get(sys.modules, name) is not module:
            _dict_setitem(sys.modules, name, module)


def assert_globals(program_namespace, names):
    """Build the globals for one assert: the program's names over the original builtins.

    A name that was a module before the program ran (math, re, ...) resolves
    to that module even where the program rebound it.
    """
    namespace = dict(program_namespace)
    namespace['__builtins__'] = dict(_ORIGINAL_BUILTINS)
    for name in names:
        module = _dict_get(_MODULES_BEFORE, name)
        if module is not None and '.' not in name:
            _dict_setitem(namespace, name, module)
    _dict_setitem(namespace, _NORMALIZER_NAME, to_plain)
    _dict_setitem(namespace, _ARGUMENT_NAME, to_plain_if_possible)
    _dict_setitem(namespace, _CALL_NAME, call_checked)
    return namespace


def evaluate(compiled, program_namespace):
    """Run one compiled assert; return (status, error type or None, message or None)."""
    if compiled.code is None:
        return 'error', 'SyntaxError', compiled.syntax_error
    namespace = assert_globals(program_namespace, compiled.names)
    try:
        result = to_plain(_eval(compiled.code, namespace))
        truth = _bool(result)
    except UntrustedValue as error:
        return 'error', 'UntrustedValue', BaseException.__str__(error)
    except BaseException as error:  # noqa: BLE001 - the program may raise anything, SystemExit included
        error_type, message = describe_exception(error)
        return 'error', error_type, message
    return ('passed', None, None) if truth else ('failed', None, None)


def describe_exception(error):
    """Return (type name, message) of an exception without trusting its overridable methods."""
    name = _type_name(_type(error))
    try:
        message = BaseException.__str__(error)
    except BaseException:  # noqa: BLE001 - a hostile exception may break even this
        message = '<message not readable>'
    if _type(message) is not str:
        message = '<message not readable>'
    return name, message[:2000]
