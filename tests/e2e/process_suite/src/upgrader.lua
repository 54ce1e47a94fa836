local function main(x) process.upgrade("app:double", x) end
return {main = main}
