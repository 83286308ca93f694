// Training text for the test tokenizers: a little English and a little Python, written for this project.

export const SAMPLE_TEXT = `The quick brown fox jumps over the lazy dog. A model reads the prompt, thinks about
the problem and then writes the answer. Write a function that returns the sum of the list.
The function should return the largest number in the list, or None when the list is empty.
We test the function with a few examples and check that every test passes.

def add(a, b):
    """Return the sum of a and b."""
    return a + b

def largest(numbers):
    if not numbers:
        return None
    result = numbers[0]
    for number in numbers[1:]:
        if number > result:
            result = number
    return result

def count_words(text):
    counts = {}
    for word in text.split():
        counts[word] = counts.get(word, 0) + 1
    return counts

class Stack:
    def __init__(self):
        self.items = []

    def push(self, item):
        self.items.append(item)

    def pop(self):
        return self.items.pop()

assert add(2, 3) == 5
assert largest([3, 1, 4, 1, 5, 9, 2, 6]) == 9
assert count_words("the cat and the hat") == {"the": 2, "cat": 1, "and": 1, "hat": 1}
print("all tests passed")
`;
