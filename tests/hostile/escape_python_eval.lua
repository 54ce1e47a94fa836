-- attack: python.eval runs Python code through lupa's python global
-- expect: error "attempt to index a nil value (global 'python')"
return python.eval("__import__('os').system('touch $TMP/canary')")
