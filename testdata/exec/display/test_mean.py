# hm: the unit tests of the golden run (Python's unittest): they pass.
import unittest


def mean(xs):
    return sum(xs) / len(xs)


class TestMean(unittest.TestCase):
    def test_one(self):
        self.assertEqual(mean([4]), 4)

    def test_many(self):
        self.assertEqual(mean([1, 2, 3, 4]), 2.5)
