"""Write a trained checkpoint and its BPE tokenizer as a GGUF v3 file for llama.cpp's `llama` architecture.

GGUF layout: header (magic, version, tensor count, key/value count), key/value pairs, tensor
infos (name, dims innermost first, type, offset into the data section), padding to the
alignment, then each tensor's data at its aligned offset. Matrices are F16, norms F32.
"""

import struct

import numpy as np

GGUF_MAGIC = b'GGUF'
GGUF_VERSION = 3
ALIGNMENT = 32

# Value type codes of the GGUF key/value section.
T_UINT32, T_INT32, T_FLOAT32, T_BOOL, T_STRING, T_ARRAY = 4, 5, 6, 7, 8, 9
# Tensor type codes.
GGML_F32, GGML_F16 = 0, 1
FILE_TYPE_MOSTLY_F16 = 1

TOKEN_NORMAL, TOKEN_CONTROL = 1, 3

CHAT_TEMPLATE = (
    '{{ bos_token }}{% for m in messages %}<|{{ m.role }}|>\n{{ m.content }}<|end|>\n{% endfor %}'
    '{% if add_generation_prompt %}<|assistant|>\n{% endif %}'
)


def pack_string(text):
    data = text.encode('utf-8')
    return struct.pack('<Q', len(data)) + data


def pack_value(value_type, value):
    if value_type == T_UINT32:
        return struct.pack('<I', value)
    if value_type == T_INT32:
        return struct.pack('<i', value)
    if value_type == T_FLOAT32:
        return struct.pack('<f', value)
    if value_type == T_BOOL:
        return struct.pack('<?', value)
    if value_type == T_STRING:
        return pack_string(value)
    raise ValueError(f'unsupported GGUF value type {value_type}')


def pack_kv(key, value_type, value, element_type=None):
    out = pack_string(key) + struct.pack('<I', value_type)
    if value_type == T_ARRAY:
        out += struct.pack('<IQ', element_type, len(value))
        out += b''.join(pack_value(element_type, v) for v in value)
    else:
        out += pack_value(value_type, value)
    return out


def permute_to_interleaved(weight, n_heads):
    """Reorder the rows of a Q or K weight [heads*hd, d] from neox pairs (i, i+hd/2) to pairs (2i, 2i+1)."""
    rows, cols = weight.shape
    hd = rows // n_heads
    return weight.reshape(n_heads, 2, hd // 2, cols).transpose(0, 2, 1, 3).reshape(rows, cols)


def gguf_tensors(state, cfg):
    """Map the PyTorch state dict to (GGUF name, numpy array, GGML type) in llama.cpp's naming."""
    def f32(name):
        return state[name].float().numpy()

    tensors = [('token_embd.weight', f32('tok_embeddings.weight'), GGML_F16)]  # [V, d]
    for i in range(cfg['n_layers']):
        p = f'layers.{i}.'
        b = f'blk.{i}.'
        tensors += [
            (b + 'attn_norm.weight', f32(p + 'attn_norm.weight'), GGML_F32),  # [d]
            (b + 'attn_q.weight', permute_to_interleaved(f32(p + 'attn.wq.weight'), cfg['n_heads']), GGML_F16),  # [nh*hd, d]
            (b + 'attn_k.weight', permute_to_interleaved(f32(p + 'attn.wk.weight'), cfg['n_kv_heads']), GGML_F16),  # [nkv*hd, d]
            (b + 'attn_v.weight', f32(p + 'attn.wv.weight'), GGML_F16),  # [nkv*hd, d]
            (b + 'attn_output.weight', f32(p + 'attn.wo.weight'), GGML_F16),  # [d, nh*hd]
            (b + 'ffn_norm.weight', f32(p + 'ffn_norm.weight'), GGML_F32),  # [d]
            (b + 'ffn_gate.weight', f32(p + 'ffn.w_gate.weight'), GGML_F16),  # [ff, d]
            (b + 'ffn_up.weight', f32(p + 'ffn.w_up.weight'), GGML_F16),  # [ff, d]
            (b + 'ffn_down.weight', f32(p + 'ffn.w_down.weight'), GGML_F16),  # [d, ff]
        ]
    tensors.append(('output_norm.weight', f32('norm.weight'), GGML_F32))  # [d]
    return tensors


def metadata(cfg, tokenizer, name, special_tokens):
    """Return the packed key/value pairs: hyperparameters and tokenizer."""
    hd = cfg['dim'] // cfg['n_heads']
    n_normal = tokenizer.vocab_size - len(special_tokens)
    tokens = [tokenizer.token_text(i) for i in range(tokenizer.vocab_size)]
    token_types = [TOKEN_NORMAL] * n_normal + [TOKEN_CONTROL] * len(special_tokens)
    ids = tokenizer.special_ids
    return [
        pack_kv('general.architecture', T_STRING, 'llama'),
        pack_kv('general.name', T_STRING, name),
        pack_kv('general.file_type', T_UINT32, FILE_TYPE_MOSTLY_F16),
        pack_kv('general.alignment', T_UINT32, ALIGNMENT),
        pack_kv('llama.vocab_size', T_UINT32, tokenizer.vocab_size),
        pack_kv('llama.context_length', T_UINT32, cfg['context_length']),
        pack_kv('llama.embedding_length', T_UINT32, cfg['dim']),
        pack_kv('llama.block_count', T_UINT32, cfg['n_layers']),
        pack_kv('llama.feed_forward_length', T_UINT32, cfg['ffn_dim']),
        pack_kv('llama.rope.dimension_count', T_UINT32, hd),
        pack_kv('llama.attention.head_count', T_UINT32, cfg['n_heads']),
        pack_kv('llama.attention.head_count_kv', T_UINT32, cfg['n_kv_heads']),
        pack_kv('llama.attention.layer_norm_rms_epsilon', T_FLOAT32, cfg['norm_eps']),
        pack_kv('llama.rope.freq_base', T_FLOAT32, cfg['rope_base']),
        # llama.cpp 'gpt2' names the BPE tokenizer model; its pre-tokenizer name for the GPT-2 regex is 'gpt-2'.
        pack_kv('tokenizer.ggml.model', T_STRING, 'gpt2'),
        pack_kv('tokenizer.ggml.pre', T_STRING, 'gpt-2'),
        pack_kv('tokenizer.ggml.tokens', T_ARRAY, tokens, T_STRING),
        pack_kv('tokenizer.ggml.token_type', T_ARRAY, token_types, T_INT32),
        pack_kv('tokenizer.ggml.merges', T_ARRAY, tokenizer.merge_texts(), T_STRING),
        pack_kv('tokenizer.ggml.bos_token_id', T_UINT32, ids['<|begin_of_text|>']),
        pack_kv('tokenizer.ggml.eos_token_id', T_UINT32, ids['<|end_of_text|>']),
        pack_kv('tokenizer.ggml.eot_token_id', T_UINT32, ids['<|end|>']),
        pack_kv('tokenizer.ggml.padding_token_id', T_UINT32, ids['<|end_of_text|>']),
        pack_kv('tokenizer.ggml.add_bos_token', T_BOOL, True),
        pack_kv('tokenizer.ggml.add_eos_token', T_BOOL, False),
        pack_kv('tokenizer.chat_template', T_STRING, CHAT_TEMPLATE),
    ]


def padding(length):
    return b'\0' * ((-length) % ALIGNMENT)


def write_gguf(path, state, cfg, tokenizer, name, special_tokens):
    """Write the GGUF file and return its size in bytes."""
    kvs = metadata(cfg, tokenizer, name, special_tokens)
    tensors = gguf_tensors(state, cfg)

    infos = []
    blobs = []
    offset = 0
    for tensor_name, array, ggml_type in tensors:
        data = array.astype(np.float16 if ggml_type == GGML_F16 else np.float32).tobytes()
        dims = list(reversed(array.shape))  # GGUF lists the innermost (contiguous) dimension first
        info = pack_string(tensor_name) + struct.pack('<I', len(dims))
        info += b''.join(struct.pack('<Q', d) for d in dims)
        info += struct.pack('<IQ', ggml_type, offset)
        infos.append(info)
        blobs.append(data + padding(len(data)))
        offset += len(blobs[-1])

    header = GGUF_MAGIC + struct.pack('<IQQ', GGUF_VERSION, len(tensors), len(kvs))
    head = header + b''.join(kvs) + b''.join(infos)
    with open(path, 'wb') as f:
        f.write(head)
        f.write(padding(len(head)))
        for blob in blobs:
            f.write(blob)
    return len(head) + len(padding(len(head))) + offset
