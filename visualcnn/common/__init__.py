"""What every layer of visualcnn uses: the errors a user can cause and atomic file writes.
Plain Python and NumPy; imports nothing else of visualcnn."""
