-- attack: require("python") finds lupa's python module
-- expect: error "module 'python' not found"
return require("python").eval("1")
