"""The 16×16 in-register transpose both direct-convolution kernel generators emit (C# lines, 8-space indent).

Sixteen Vector512<float> registers r0..r15 hold the rows; four rounds of two-source permutes swap the off-diagonal
blocks of 8, 4, 2 and 1 lanes, after which r_j holds column j. Needs a `Vector512<float> t;` declared before it.
"""


def transpose16():
    lines = []
    for b in (8, 4, 2, 1):
        lo = [c if (c & b) == 0 else 16 + c - b for c in range(16)]
        hi = [c + b if (c & b) == 0 else 16 + c for c in range(16)]
        lines.append(f'        Vector512<int> lo{b} = Vector512.Create({", ".join(map(str, lo))});')
        lines.append(f'        Vector512<int> hi{b} = Vector512.Create({", ".join(map(str, hi))});')
        for r in range(16):
            if r & b:
                continue
            lines.append(f'        t = Avx512F.PermuteVar16x32x2(r{r}, lo{b}, r{r + b}); '
                         f'r{r + b} = Avx512F.PermuteVar16x32x2(r{r}, hi{b}, r{r + b}); r{r} = t;')
    return lines
