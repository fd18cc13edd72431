"""What every layer of visualcnn uses: the errors a user can cause, atomic file writes, short
numbers. Plain Python and NumPy; imports nothing else of visualcnn."""
