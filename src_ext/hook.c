/* laaos._hook: a proxy method as one C call to its store's engine.
 *
 * A proxy's mutating method is one line of Python, `self._store._engine.list_append(self,
 * obj)`.  On CPython 3.11 that line's frame costs about 80 ns, as much as the rest of a
 * buffered float append (the engine's C call, the float's text, the buffer) and a third of
 * an append's time when its statement is written at once.  EngineMethod makes the same two
 * slot reads and the same call in C.  The proxy class names it in its body
 * (`append = _backend.engine_method(append, "list_append")`): nothing is patched.
 *
 * It knows no backend: it calls whatever engine the store holds.  An engine whose type is
 * a static C type (the extension's) with the method as a fast-call C function is called
 * through that function without the method object's checks; any other engine (the pure
 * twin's, or one a test put there) by a method call, as the Python line does.  A call it
 * does not expect (keywords, another number of arguments, a proxy or store whose slots
 * are not set) goes to the Python method it wraps, so every error and every unusual call
 * is the Python method's own.
 *
 * A free-threaded build always calls the Python method: the cache below is written
 * without a lock, which only the GIL makes safe.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <string.h>

#define MAX_ARGS 4 /* the proxy's own arguments, self included */

/* METH_FASTCALL | METH_KEYWORDS (public under this name only from 3.13) */
typedef PyObject *(*fast_keywords_fn)(PyObject *, PyObject *const *, Py_ssize_t, PyObject *);

/* A slot of the proxies (`_store`) or the store (`_engine`), read at its offset.  For the
 * last type seen, while that type is unchanged (its version tag), it is known that the
 * attribute is a member descriptor (a slot) at that offset: the read is the descriptor's
 * own.  Any other type is looked up first, so a subclass that makes `_store` a property
 * gets the Python method, which calls it. */
typedef struct {
    const char *name;
    PyObject *interned;
    PyTypeObject *type; /* (borrowed: compared, never used, once its version is gone) */
    unsigned int version;
    Py_ssize_t offset;
} Slot;

static Slot store_slot = {"_store", NULL, NULL, 0, 0};
static Slot engine_slot = {"_engine", NULL, NULL, 0, 0};

/* Whether tp is unchanged since its version was read: a change sets the tag to 0 from
 * Python 3.12 on; before, it clears the flag and leaves the tag. */
static inline int same_version(PyTypeObject *tp, unsigned int version) {
#if PY_VERSION_HEX < 0x030C0000
    if (!(tp->tp_flags & Py_TPFLAGS_VALID_VERSION_TAG)) return 0;
#endif
    return version != 0 && tp->tp_version_tag == version;
}

/* Whether tp's attribute is a slot (then remembered), or not (no error set). */
static int find_slot(Slot *slot, PyTypeObject *tp) {
    if (slot->interned == NULL) {
        slot->interned = PyUnicode_InternFromString(slot->name);
        if (slot->interned == NULL) {
            PyErr_Clear();
            return 0;
        }
    }
    PyObject *d = _PyType_Lookup(tp, slot->interned); /* (borrowed; sets no error) */
    if (d == NULL || !Py_IS_TYPE(d, &PyMemberDescr_Type)) return 0;
    PyMemberDef *member = ((PyMemberDescrObject *)d)->d_member;
    if (member->type != T_OBJECT_EX || (member->flags & READONLY)) return 0;
    /* (the lookup gave tp a version tag, where it can have one) */
    slot->type = tp;
    slot->version = tp->tp_version_tag;
    slot->offset = member->offset;
    return 1;
}

/* obj's slot (borrowed), or NULL (no error set) where it is not a slot or is empty. */
static inline PyObject *read_slot(PyObject *obj, Slot *slot) {
    PyTypeObject *tp = Py_TYPE(obj);
    if ((tp != slot->type || !same_version(tp, slot->version)) && !find_slot(slot, tp)) return NULL;
    return *(PyObject **)((char *)obj + slot->offset);
}

typedef struct {
    PyObject_HEAD
    PyObject *func;     /* the Python method: its name, doc and signature, and the slow path */
    PyObject *name;     /* the engine's method */
    Py_ssize_t nargs;   /* the Python method's positional arguments, self included */
    /* The engine type whose method is a fast-call C function, and that function: a static
     * type cannot change, nor (with no __dict__) can its instances shadow the method. */
    PyTypeObject *c_type;
    fast_keywords_fn c_meth;
    vectorcallfunc vectorcall;
} EngineMethod;

static void remember_c_method(EngineMethod *self, PyTypeObject *tp) {
    PyObject *d = _PyType_Lookup(tp, self->name);
    if (d == NULL || !Py_IS_TYPE(d, &PyMethodDescr_Type)) return;
    PyMethodDef *def = ((PyMethodDescrObject *)d)->d_method;
    if ((def->ml_flags & ~METH_COEXIST) != (METH_FASTCALL | METH_KEYWORDS)) return;
    if ((tp->tp_flags & Py_TPFLAGS_HEAPTYPE) || tp->tp_dictoffset != 0) return;
    Py_INCREF(tp);
    self->c_meth = (fast_keywords_fn)(void (*)(void))def->ml_meth;
    self->c_type = tp;
}

static PyObject *em_vectorcall(PyObject *op, PyObject *const *args, size_t nargsf, PyObject *kwnames) {
    EngineMethod *self = (EngineMethod *)op;
    Py_ssize_t n = PyVectorcall_NARGS(nargsf);
#ifndef Py_GIL_DISABLED
    if (kwnames == NULL && n == self->nargs) {
        PyObject *store = read_slot(args[0], &store_slot);
        PyObject *engine = store == NULL ? NULL : read_slot(store, &engine_slot);
        if (engine != NULL) {
            PyObject *result;
            Py_INCREF(engine); /* (the call could replace the store's engine) */
            if (Py_TYPE(engine) == self->c_type) {
                result = self->c_meth(engine, args, n, NULL);
            } else {
                PyObject *call[MAX_ARGS + 1];
                if (self->c_type == NULL) remember_c_method(self, Py_TYPE(engine));
                call[0] = engine;
                memcpy(call + 1, args, (size_t)n * sizeof(PyObject *));
                result = PyObject_VectorcallMethod(self->name, call, (size_t)(n + 1), NULL);
            }
            Py_DECREF(engine);
            return result;
        }
    }
#endif
    return PyObject_Vectorcall(self->func, args, nargsf, kwnames);
}

/* A method: `proxy.append` is bound, `StoreList.append` is itself. */
static PyObject *em_get(PyObject *self, PyObject *obj, PyObject *type) {
    if (obj == NULL || obj == Py_None) {
        Py_INCREF(self);
        return self;
    }
    return PyMethod_New(self, obj);
}

static PyObject *em_new(PyTypeObject *tp, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"func", "name", NULL};
    PyObject *func, *name;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OU:EngineMethod", kwlist, &func, &name)) return NULL;
    /* the positional arguments of a plain function with no defaults */
    PyObject *code = PyObject_GetAttrString(func, "__code__");
    if (code == NULL) return NULL;
    PyObject *count = PyObject_GetAttrString(code, "co_argcount");
    Py_DECREF(code);
    if (count == NULL) return NULL;
    Py_ssize_t nargs = PyLong_AsSsize_t(count);
    Py_DECREF(count);
    if (nargs == -1 && PyErr_Occurred()) return NULL;
    PyObject *defaults = PyObject_GetAttrString(func, "__defaults__");
    if (defaults == NULL) return NULL;
    int has_defaults = defaults != Py_None;
    Py_DECREF(defaults);
    if (nargs < 1 || nargs > MAX_ARGS || has_defaults) {
        PyErr_Format(PyExc_ValueError, "EngineMethod wraps a method of 1 to %d arguments without defaults",
                     MAX_ARGS);
        return NULL;
    }
    EngineMethod *self = (EngineMethod *)tp->tp_alloc(tp, 0);
    if (self == NULL) return NULL;
    Py_INCREF(func);
    self->func = func;
    Py_INCREF(name);
    PyUnicode_InternInPlace(&name);
    self->name = name;
    self->nargs = nargs;
    self->vectorcall = em_vectorcall;
    return (PyObject *)self;
}

static int em_traverse(PyObject *op, visitproc visit, void *arg) {
    Py_VISIT(((EngineMethod *)op)->func);
    return 0;
}

/* (no tp_clear: the function, the class and their dicts break a cycle through one, and
 * func is never NULL while the method lives) */

static void em_dealloc(PyObject *op) {
    EngineMethod *self = (EngineMethod *)op;
    PyObject_GC_UnTrack(op);
    Py_CLEAR(self->func);
    Py_CLEAR(self->name);
    Py_XDECREF(self->c_type);
    Py_TYPE(op)->tp_free(op);
}

/* __doc__, __name__, __qualname__, __module__ and __annotations__ are the Python
 * method's (data descriptors, as a function's are: pydoc reads __doc__ past getattr). */
static PyObject *em_func_attr(PyObject *op, void *name) {
    return PyObject_GetAttrString(((EngineMethod *)op)->func, (const char *)name);
}

static PyGetSetDef em_getset[] = {
    {"__doc__", em_func_attr, NULL, NULL, "__doc__"},
    {"__name__", em_func_attr, NULL, NULL, "__name__"},
    {"__qualname__", em_func_attr, NULL, NULL, "__qualname__"},
    {"__module__", em_func_attr, NULL, NULL, "__module__"},
    {"__annotations__", em_func_attr, NULL, NULL, "__annotations__"},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyObject *em_repr(PyObject *op) {
    EngineMethod *self = (EngineMethod *)op;
    PyObject *qualname = PyObject_GetAttrString(self->func, "__qualname__");
    if (qualname == NULL) return NULL;
    PyObject *r = PyUnicode_FromFormat("<laaos method %S (one C call to the store's engine)>", qualname);
    Py_DECREF(qualname);
    return r;
}

/* pickled by name, as the Python method is (`pickle.dumps(StoreList.append)`) */
static PyObject *em_reduce(PyObject *op, PyObject *unused) {
    return PyObject_GetAttrString(((EngineMethod *)op)->func, "__qualname__");
}

static PyMethodDef em_methods[] = {
    {"__reduce__", em_reduce, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef em_members[] = {
    /* (inspect.signature and help() follow __wrapped__ to the Python method) */
    {"__wrapped__", T_OBJECT, offsetof(EngineMethod, func), READONLY, NULL},
    {"engine_method", T_OBJECT, offsetof(EngineMethod, name), READONLY, "the engine method it calls"},
    {NULL, 0, 0, 0, NULL},
};

static PyTypeObject EngineMethod_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
};

static struct PyModuleDef hook_module = {
    PyModuleDef_HEAD_INIT, "laaos._hook",
    "A proxy method as one C call to its store's engine (EngineMethod).", -1, NULL,
};

PyMODINIT_FUNC PyInit__hook(void) {
    PyTypeObject *t = &EngineMethod_Type;
    t->tp_name = "laaos._hook.EngineMethod";
    t->tp_basicsize = sizeof(EngineMethod);
    t->tp_dealloc = em_dealloc;
    t->tp_vectorcall_offset = offsetof(EngineMethod, vectorcall);
    t->tp_call = PyVectorcall_Call;
    t->tp_repr = em_repr;
    t->tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL |
                  Py_TPFLAGS_METHOD_DESCRIPTOR;
    t->tp_traverse = em_traverse;
    t->tp_members = em_members;
    t->tp_methods = em_methods;
    t->tp_getset = em_getset;
    t->tp_descr_get = em_get;
    t->tp_new = em_new;
    if (PyType_Ready(t) < 0) return NULL;
    PyObject *m = PyModule_Create(&hook_module);
    if (m == NULL) return NULL;
#ifdef Py_GIL_DISABLED
    /* (it only calls Python there, see above: importing it keeps the GIL off) */
    if (PyUnstable_Module_SetGIL(m, Py_MOD_GIL_NOT_USED) < 0) {
        Py_DECREF(m);
        return NULL;
    }
#endif
    Py_INCREF(t);
    if (PyModule_AddObject(m, "EngineMethod", (PyObject *)t) < 0) {
        Py_DECREF(t);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
