"""What every layer of visualcnn uses: the errors a user can cause, atomic file writes, the
GIF encoder. Plain Python and NumPy; imports nothing else of visualcnn."""
