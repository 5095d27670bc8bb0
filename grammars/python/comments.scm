; Comments, read for `# tunelint: ignore[...]` suppressions.
(comment) @comment
