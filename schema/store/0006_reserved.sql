-- Reserved for the pipelines schema (another branch); a placeholder so version 7 has a predecessor.
SELECT 1;
