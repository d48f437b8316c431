"""Knowledge base: loaders, chunking, embeddings and the hybrid FAISS + BM25 index."""
