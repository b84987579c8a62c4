# hm: a unit test that fails (Python's unittest), for the golden run of a
# test-runner failure: the median of an even count is taken as the upper
# middle value.
import unittest


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


class TestMedian(unittest.TestCase):
    def test_odd(self):
        self.assertEqual(median([3, 1, 2]), 2)

    def test_even(self):
        self.assertEqual(median([4, 1, 3, 2]), 2.5)
