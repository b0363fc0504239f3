"""Props into members: which prop sets which member by which conversion (``table``), the walk that applies
them (``walk``), and synth-time problems reported once (``validation``: ``JobValidationError``). Imports no other
package of the library."""
