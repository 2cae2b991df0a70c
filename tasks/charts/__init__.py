"""Charts as images for documents: PNG drawn with Pillow in the CJK fonts the PDF uses."""
