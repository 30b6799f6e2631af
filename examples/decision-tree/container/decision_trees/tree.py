# A CART decision tree (Gini impurity, binary splits on numeric features), in plain Python so
# that the image needs nothing beyond Debian's python3: the model is a JSON document of nested
# splits, readable by anyone who opens model.tar.gz.
from collections import Counter


def _gini(counts, total):
    return 1.0 - sum((count / total) ** 2 for count in counts.values())


def _best_split(rows, labels, min_samples_leaf):
    """The (feature, threshold) whose two sides have the lowest weighted impurity, or None."""
    total = len(rows)
    parent = Counter(labels)
    best_score, best = _gini(parent, total), None
    for feature in range(len(rows[0])):
        order = sorted(range(total), key=lambda i: rows[i][feature])
        left, right = Counter(), Counter(parent)
        for k in range(total - 1):
            label = labels[order[k]]
            left[label] += 1
            right[label] -= 1
            n_left = k + 1
            here, following = rows[order[k]][feature], rows[order[k + 1]][feature]
            if here == following or n_left < min_samples_leaf or total - n_left < min_samples_leaf:
                continue
            score = (n_left * _gini(left, n_left) + (total - n_left) * _gini(right, total - n_left)) / total
            if score < best_score:
                best_score, best = score, (feature, (here + following) / 2)
    return best


def fit(rows, labels, max_depth, min_samples_leaf):
    """rows: lists of floats; labels: one class name per row."""
    majority = Counter(labels).most_common(1)[0][0]
    if max_depth == 0 or len(set(labels)) == 1:
        return {'label': majority}
    split = _best_split(rows, labels, min_samples_leaf)
    if split is None:
        return {'label': majority}
    feature, threshold = split
    left = [i for i, row in enumerate(rows) if row[feature] <= threshold]
    right = [i for i, row in enumerate(rows) if row[feature] > threshold]
    return {
        'feature': feature,
        'threshold': threshold,
        'left': fit([rows[i] for i in left], [labels[i] for i in left], max_depth - 1, min_samples_leaf),
        'right': fit([rows[i] for i in right], [labels[i] for i in right], max_depth - 1, min_samples_leaf),
    }


def predict(tree, row):
    while 'label' not in tree:
        tree = tree['left'] if row[tree['feature']] <= tree['threshold'] else tree['right']
    return tree['label']


def depth(tree):
    return 0 if 'label' in tree else 1 + max(depth(tree['left']), depth(tree['right']))
