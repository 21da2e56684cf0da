from evalharness.reviewer.chunking import chunk_markdown, chunk_toml, split_long


def test_markdown_sections_carry_their_heading_path():
    text = ("Preamble line.\n\n# Title\n\nIntro.\n\n## Policy\n\nPrimary must improve.\n\n### Floors\n\nchrF++ >= 10.\n\n"
            "## Exit codes\n\n0 advance.\n")
    got = [(p.label, p.text) for p in chunk_markdown(text, "docs/gate.md", max_chars=500)]
    assert got == [("docs/gate.md", "Preamble line."), ("docs/gate.md > Title", "Intro."),
                   ("docs/gate.md > Title > Policy", "Primary must improve."),
                   ("docs/gate.md > Title > Policy > Floors", "chrF++ >= 10."),
                   ("docs/gate.md > Title > Exit codes", "0 advance.")]


def test_headings_inside_code_fences_are_code_and_empty_sections_vanish():
    text = "# Usage\n\n```bash\n# not a heading\nevalharness run\n```\n\n# Empty\n\n## Setext child\n\nx\n"
    got = chunk_markdown(text, "README.md", max_chars=500)
    assert [p.label for p in got] == ["README.md > Usage", "README.md > Empty > Setext child"]
    assert "# not a heading" in got[0].text


def test_setext_headings():
    got = chunk_markdown("Title\n=====\n\nbody\n\nPart\n----\n\nmore\n", "a.md", max_chars=500)
    assert [(p.label, p.text) for p in got] == [("a.md > Title", "body"), ("a.md > Title > Part", "more")]


def test_long_sections_split_at_paragraphs_and_keep_their_citation():
    paragraphs = [f"Paragraph {i} " + "word " * 40 for i in range(10)]
    text = "# Long\n\n" + "\n\n".join(paragraphs)
    got = chunk_markdown(text, "docs/long.md", max_chars=600)
    assert len(got) > 1
    assert all(p.label == "docs/long.md > Long" and len(p.text) <= 600 for p in got)
    assert " ".join(p.text for p in got).split() == " ".join(paragraphs).split()  # nothing lost


def test_a_paragraph_longer_than_the_limit_is_split_at_spaces():
    pieces = split_long("abc " * 500, 300)
    assert all(len(p) <= 300 for p in pieces) and "".join(pieces).replace(" ", "") == "abc" * 500


def test_toml_tables_become_passages():
    text = ('name = "s"\nversion = "1"\n\n[provenance]\nsource = "x"\n\n[governance]\n'
            'allowed_uses = ["evaluation"]\n\n[empty]\n# only a comment\n')
    got = chunk_toml(text, "suites/s/suite.toml", max_chars=500, kind="suite_meta")
    assert [p.label for p in got] == ["suites/s/suite.toml", "suites/s/suite.toml > provenance",
                                      "suites/s/suite.toml > governance"]
    assert 'allowed_uses = ["evaluation"]' in got[2].text and got[2].kind == "suite_meta"
