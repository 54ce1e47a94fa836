-- attack: python.builtins.__import__ reaches the os module
-- expect: error "attempt to index a nil value (global 'python')"
return python.builtins.__import__("os").system("touch $TMP/canary")
