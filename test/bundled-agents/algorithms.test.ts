// The bundled agents' algorithms on small graphs whose answers are known.
import test from 'ava';
import { curate, trigrams, trigramSimilarity } from '../../src/bundled-agents/curator.ts';
import { titleIndex, unlinkedMentions } from '../../src/bundled-agents/linker.ts';
import { sentences, withoutMarkup } from '../../src/bundled-agents/text.ts';
import { similarity, summarise, textRankScores } from '../../src/bundled-agents/textrank.ts';

const titles = titleIndex([
  { id: 1, title: 'Alpha' },
  { id: 2, title: 'Beta' },
  { id: 3, title: 'Machine learning' },
  { id: 4, title: 'Machine' },
  { id: 5, title: 'AI' },
  { id: 6, title: 'Gamma' },
]);

test('the linker proposes whole-word, case-insensitive mentions, longest title first, skipping links and itself', (t) => {
  const page = {
    id: 1,
    title: 'Alpha',
    text: 'Alpha is about MACHINE   learning and beta.\nAlphabet and betamax are not mentions. AI is too short.\nSee [[Gamma]] and gamma.',
    linked: new Set([6]),
  };
  const proposals = unlinkedMentions(page, titles);
  t.deepEqual(
    proposals.map((p) => [p.to, p.title]),
    [
      [3, 'MACHINE   learning'],
      [2, 'beta'],
    ],
  );
  t.is(proposals[0]!.from, 1);
  t.regex(proposals[0]!.excerpt, /Alpha is about MACHINE {3}learning and beta\./);
  t.false(
    proposals.some((p) => p.to === 6),
    'Gamma is linked already',
  );
  t.false(
    proposals.some((p) => p.to === 4),
    'Machine is inside the longer title Machine learning',
  );
  t.deepEqual(unlinkedMentions({ ...page, text: 'Beta beta BETA' }, titles).length, 1, 'one proposal per target');
  t.deepEqual(unlinkedMentions({ ...page, text: '#beta [[Beta]] [x](Beta) `beta`' }, titles), [], 'tags, links and code are not mentions');
  t.is(unlinkedMentions({ ...page, text: 'beta gamma machine' }, titles, { maxPerPage: 1 }).length, 1);
});

test('markup is blanked out without moving offsets; text splits into sentences', (t) => {
  const text = 'a [[b]] #c `d` e';
  t.is(withoutMarkup(text).length, text.length);
  t.deepEqual(sentences('First one. Second one!\n- third\n\n  * Fourth? yes. Fifth'), [
    'First one.',
    'Second one!',
    'third',
    'Fourth? yes.',
    'Fifth',
  ]);
});

test('TextRank ranks the sentence that shares most with the others first', (t) => {
  const central = 'Graph layouts place nodes with forces, springs and physics.';
  const list = [
    'Forces push nodes apart in a graph.',
    'Springs pull linked nodes together.',
    central,
    'Physics simulation runs every frame.',
    'The weather was pleasant yesterday.',
  ];
  const scores = textRankScores(list);
  const best = scores.indexOf(Math.max(...scores));
  t.is(list[best], central);
  t.true(scores[4]! < scores[2]!, 'the unrelated sentence ranks low');
  t.is(similarity(new Set(['a']), new Set(['a'])), 0, 'one-word sentences: log 1 + log 1 = 0, no weight');
  const summary = summarise(list.join(' '), { count: 3 });
  t.is(summary.length, 3);
  t.true(summary.includes(central));
  t.false(summary.includes(list[4]!));
  // In the original order.
  t.deepEqual(
    summary,
    list.filter((s) => summary.includes(s)),
  );
  t.deepEqual(summarise('Only one sentence.'), ['Only one sentence.']);
  t.deepEqual(summarise(''), []);
});

test('the curator finds orphans, near-duplicate titles and single-use tags', (t) => {
  const nodes = [
    { id: 1, title: 'Knowledge graph', type: 'page' },
    { id: 2, title: 'Knowledge graphs', type: 'page' },
    { id: 3, title: 'Lonely page', type: 'page', metadata: { tags: 'rare, common' } },
    { id: 4, title: 'Physics', type: 'page', metadata: { tags: 'common' } },
    { id: 5, title: 'onetime', type: 'tag' },
    { id: 6, title: 'popular', type: 'tag' },
    { id: 7, title: 'a block', type: 'block' },
  ];
  const edges = [
    { source: 1, target: 4 },
    { source: 2, target: 6 },
    { source: 4, target: 6 },
    { source: 1, target: 5 },
    { source: 1, target: 7 },
  ];
  const report = curate(nodes, edges);
  t.deepEqual(report.orphans, [{ id: 3, title: 'Lonely page' }]);
  t.is(report.nearDuplicates.length, 1);
  t.like(report.nearDuplicates[0], { a: 1, b: 2, titles: ['Knowledge graph', 'Knowledge graphs'] });
  t.true(report.nearDuplicates[0]!.similarity >= 0.7);
  t.deepEqual(
    report.singleUseTags.map((s) => s.tag),
    ['onetime', 'rare'],
  );
  t.false(report.truncated);
  t.true(trigramSimilarity(trigrams('Physics'), trigrams('Lonely page')) < 0.2);
  t.is(trigramSimilarity(trigrams('Machine-learning'), trigrams('machine learning')), 1);
  t.true(curate(nodes, edges, { maxComparisons: 1 }).truncated);
  const alike = [
    { id: 1, title: 'Whiteboard/Object', type: 'page' },
    { id: 2, title: 'Whiteboard/Object/PDF', type: 'page' },
    { id: 3, title: 'Oct 2nd, 2020', type: 'page' },
    { id: 4, title: 'Oct 22nd, 2020', type: 'page' },
    { id: 5, title: 'alan-roe', type: 'page' },
    { id: 6, title: 'Alan Roe', type: 'page' },
  ];
  t.deepEqual(
    curate(alike, []).nearDuplicates.map((d) => [d.a, d.b]),
    [[5, 6]],
    'a namespace and its page, and titles whose numbers differ, are not duplicates',
  );
});
