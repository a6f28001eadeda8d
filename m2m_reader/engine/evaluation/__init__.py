"""Measures of an exported soundtrack and the HTML report (`m2m-reader evaluate`)."""
