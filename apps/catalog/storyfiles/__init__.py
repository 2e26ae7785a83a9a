"""Story files: the reviewable, file-based form of the curated catalogue.

records      plain data shared by both directions (file ⇄ database)
taxonomy     components, platforms and impact kinds from fixtures/taxonomy/
parsing      reading files into records, collecting every problem
serialization  writing records back to files, byte-stable
synthetic    generated story files for benchmarks (synthetic_words holds the vocabulary)
"""
