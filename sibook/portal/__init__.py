"""The citizen portal (cổng thông tin công dân): server-rendered pages over the book APIs."""
