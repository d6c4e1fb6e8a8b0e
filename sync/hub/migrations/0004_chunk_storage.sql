-- Sealed chunks are ciphertext: compression never wins on them, and trying costs CPU on
-- every chunk. Store them out of line, uncompressed.
ALTER TABLE attachment_chunks ALTER COLUMN sealed SET STORAGE EXTERNAL;
